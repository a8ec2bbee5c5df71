// The peer for bench/tokens.sh and bench/flows.sh: oidc-provider (v9) with its default in-memory
// storage; one confidential client for the client credentials grant (introspection enabled), one
// for the authorization code flow. Its interaction pages (login, consent) finish at once, the way
// the login/consent app of bench/flows.sh accepts at once, so a flow costs what the server does.
import http from 'node:http';
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
    {
      client_id: 'flows',
      client_secret: 'bench-secret-0123456789',
      grant_types: ['authorization_code'],
      redirect_uris: ['http://127.0.0.1:29999/cb'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
});
// Login as a fresh user, then grant what was asked: no page is shown.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId: `user-${details.uid}` } },
      { mergeWithLastSubmission: false });
  }
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const app = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((e) => { res.statusCode = 500; res.end(String(e)); });
  } else {
    app(req, res);
  }
}).listen(port, '127.0.0.1', () => console.log(`oidc-provider ready on ${port}`));
