// Hydra's Go SDK (hydra-client-go v2, whose models refuse a document that lacks a property
// Hydra's schema requires) reading Latchkey's discovery document and keys, as a Go relying party
// or login app does, and a few admin calls. Run by tests/it/sdks.rs:
//
//	discovery PUBLIC_URL ADMIN_URL
//
// Exits non-zero with the failing step; prints "ok" at the end.
package main

import (
	"context"
	"fmt"
	"os"

	hydra "github.com/ory/hydra-client-go/v2"
)

func client(url string) *hydra.APIClient {
	c := hydra.NewConfiguration()
	c.Servers = hydra.ServerConfigurations{{URL: url}}
	return hydra.NewAPIClient(c)
}

func check(ok bool, what string, args ...any) {
	if !ok {
		fmt.Fprintf(os.Stderr, "FAILED: "+what+"\n", args...)
		os.Exit(1)
	}
}

func main() {
	ctx := context.Background()
	public, admin := client(os.Args[1]), client(os.Args[2])

	d, _, err := public.OidcAPI.DiscoverOidcConfiguration(ctx).Execute()
	check(err == nil, "discoverOidcConfiguration: %v", err)
	check(d.Issuer == os.Args[1]+"/", "issuer %q", d.Issuer)
	check(len(d.IdTokenSignedResponseAlg) == 1 && len(d.UserinfoSignedResponseAlg) == 1, "signed response algs")
	keys, _, err := public.WellknownAPI.DiscoverJsonWebKeys(ctx).Execute()
	check(err == nil && len(keys.Keys) > 0, "discoverJsonWebKeys: %v", err)

	ready, _, err := admin.MetadataAPI.IsReady(ctx).Execute()
	check(err == nil && ready.GetStatus() == "ok", "isReady: %v", err)
	c := hydra.NewOAuth2Client()
	c.SetClientId("go-client")
	c.SetGrantTypes([]string{"client_credentials"})
	made, _, err := admin.OAuth2API.CreateOAuth2Client(ctx).OAuth2Client(*c).Execute()
	check(err == nil && made.GetClientSecret() != "", "createOAuth2Client: %v", err)
	list, _, err := admin.OAuth2API.ListOAuth2Clients(ctx).Execute()
	check(err == nil && len(list) == 1, "listOAuth2Clients: %v", err)
	_, err = admin.OAuth2API.DeleteOAuth2Client(ctx, "go-client").Execute()
	check(err == nil, "deleteOAuth2Client: %v", err)
	fmt.Println("ok")
}
