// pulumi-resource-docker: the docker Terraform provider (kreuzwerker, SDKv2 part) bridged to
// Pulumi with pulumi-terraform-bridge, named like @pulumi/docker 5.2.0 so that the npm SDK
// talks to it unchanged. Built by scripts/install-pulumi.sh (github.com/pulumi/pulumi-docker
// is not served by our module proxy).
//
//	pulumi-resource-docker -gen-schema FILE   writes the Pulumi package schema (build step)
//	pulumi-resource-docker                    serves the provider (embedded schema.json)
package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/terraform-providers/terraform-provider-docker/pulumishim"
)

// version is the Pulumi package version (set with -ldflags "-X main.version=...").
var version = "5.2.0"

//go:embed schema.json
var schema []byte

func providerInfo() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(pulumishim.NewProvider(version)),
		Name:        "docker",
		DisplayName: "Docker",
		Publisher:   "Pulumi",
		Version:     version,
		Repository:  "https://github.com/pulumi/pulumi-docker",
		// Names @pulumi/docker uses where the automatic mapping differs.
		Config: map[string]*tfbridge.SchemaInfo{
			"registry_auth": {Name: "registryAuth"},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			// "Image" is pulumi-docker's native build resource; the TF image is RemoteImage.
			"docker_image":  {Tok: "docker:index/remoteImage:RemoteImage"},
			"docker_config": {Tok: "docker:index/serviceConfig:ServiceConfig"},
			"docker_container": {Fields: map[string]*tfbridge.SchemaInfo{
				"command":           {Name: "command"},
				"networks_advanced": {Name: "networksAdvanced"},
			}},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: "docker:index/getRemoteImage:getRemoteImage"},
		},
	}
	info.MustComputeTokens(tokens.SingleModule("docker_", "index", tokens.MakeStandard("docker")))
	return info
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-gen-schema" {
		if err := genSchema(os.Args[2]); err != nil {
			cmdutil.ExitError(err.Error())
		}
		return
	}
	tfbridge.Main("docker", version, providerInfo(), schema)
}

func genSchema(path string) error {
	res, err := tfgen.GenerateSchemaWithOptions(tfgen.GenerateSchemaOptions{
		ProviderInfo:  providerInfo(),
		XInMemoryDocs: true,
	})
	if err != nil {
		return fmt.Errorf("generating the schema: %w", err)
	}
	data, err := json.Marshal(res.PackageSpec)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
