// pulumi-resource-random: the random Terraform provider (Plugin Framework) bridged to Pulumi
// with pulumi-terraform-bridge, named like @pulumi/random 4.21.2 so that the npm SDK talks
// to it unchanged. Built by scripts/install-pulumi.sh (github.com/pulumi/pulumi-random is
// not served by our module proxy).
//
//	pulumi-resource-random -gen-schema FILE   writes the Pulumi package schema (build step)
//	pulumi-resource-random                    serves the provider (embedded schema.json)
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi-terraform-bridge/v3/unstable/metadata"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/terraform-providers/terraform-provider-random/pulumishim"
)

// version is the Pulumi package version (set with -ldflags "-X main.version=..."); the
// Plugin Framework entry point rejects a non-semver version.
var version = "4.21.2"

//go:embed schema.json
var schema []byte

// The bridge's metadata store, written next to schema.json by -gen-schema; the Plugin
// Framework provider refuses to start without it.
//
//go:embed bridge-metadata.json
var bridgeMetadata []byte

func providerInfo() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            pftfbridge.ShimProvider(pulumishim.NewProvider()),
		Name:         "random",
		DisplayName:  "random",
		Publisher:    "Pulumi",
		Version:      version,
		Repository:   "https://github.com/pulumi/pulumi-random",
		MetadataInfo: tfbridge.NewProviderMetadata(bridgeMetadata),
	}
	// @pulumi/random keeps the "random" prefix: random_password -> random:index/randomPassword:RandomPassword.
	info.MustComputeTokens(tokens.SingleModule("", "index", tokens.MakeStandard("random")))
	return info
}

func main() {
	ctx := context.Background()
	if len(os.Args) == 3 && os.Args[1] == "-gen-schema" {
		if err := genSchema(ctx, os.Args[2]); err != nil {
			cmdutil.ExitError(err.Error())
		}
		return
	}
	pftfbridge.Main(ctx, "random", providerInfo(), pftfbridge.ProviderMetadata{PackageSchema: schema})
}

// genSchema writes the package schema to path and the bridge metadata the generator
// recorded to bridge-metadata.json in the same directory.
func genSchema(ctx context.Context, path string) error {
	info := providerInfo()
	res, err := pftfgen.GenerateSchema(ctx, pftfgen.GenerateSchemaOptions{
		ProviderInfo:  info,
		XInMemoryDocs: true,
	})
	if err != nil {
		return fmt.Errorf("generating the schema: %w", err)
	}
	if err := os.WriteFile(path, res.ProviderMetadata.PackageSchema, 0o644); err != nil {
		return err
	}
	meta := (*metadata.Data)(info.MetadataInfo.Data).MarshalIndent()
	return os.WriteFile(filepath.Join(filepath.Dir(path), "bridge-metadata.json"), meta, 0o644)
}
