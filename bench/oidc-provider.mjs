// The peer for bench/tokens.sh: oidc-provider (v9) with its default in-memory storage, one
// confidential client allowed the client credentials grant, introspection enabled.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 23000);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'bench',
      client_secret: 'bench-secret-0123456789',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider ready on ${port}`));
