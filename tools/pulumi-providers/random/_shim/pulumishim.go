// Package pulumishim exports the random Terraform provider (kept in internal/ upstream).
// scripts/install-pulumi.sh copies this directory into the copy of the upstream module
// tree (as pulumishim/), because only packages inside that module may import its internal/.
package pulumishim

import (
	pfprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream Plugin Framework provider.
func NewProvider() pfprovider.Provider {
	return provider.New()
}
