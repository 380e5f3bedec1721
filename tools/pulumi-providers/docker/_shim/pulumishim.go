// Package pulumishim exports the docker Terraform provider (kept in internal/ upstream).
// scripts/install-pulumi.sh copies this directory into the copy of the upstream module
// tree (as pulumishim/), because only packages inside that module may import its internal/.
package pulumishim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the SDKv2 part of the upstream provider (every resource and data
// source @pulumi/docker 5.x knows; the Plugin Framework part holds newer additions only).
func NewProvider(version string) *schema.Provider {
	return provider.New(version)()
}
