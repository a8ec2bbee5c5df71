"""Hydra's Python SDK (ory-hydra-client, pydantic models that validate every answer) against a
running Latchkey: every admin operation Latchkey serves, and the public token, JWKS and
revocation calls a login/consent app or relying party makes with it. Run by tests/it/sdks.rs:

    python3 hydra_python.py ADMIN_URL PUBLIC_URL

Exits non-zero, with the failing step, on the first wrong answer. Discovery is read with the
SDK's OidcApi (its model requires `device_authorization_endpoint`), and the device grant runs
through the SDK's device operations (oAuth2DeviceFlow, acceptUserCodeRequest).
"""

import base64
import datetime
import hashlib
import json
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from base64 import urlsafe_b64encode

import ory_hydra_client as hydra
from ory_hydra_client.exceptions import NotFoundException
from ory_hydra_client.models import (
    AcceptDeviceUserCodeRequest,
    AcceptOAuth2ConsentRequest,
    AcceptOAuth2ConsentRequestSession,
    AcceptOAuth2LoginRequest,
    CreateJsonWebKeySet,
    JsonPatch,
    JsonWebKey,
    JsonWebKeySet,
    OAuth2Client,
    OAuth2ClientTokenLifespans,
    RejectOAuth2Request,
    TrustOAuth2JwtGrantIssuer,
)

ADMIN, PUBLIC = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
CB = "http://127.0.0.1:9/cb"


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie jar that reports redirects instead of following them."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(), NoRedirect()
        )

    def get(self, url):
        """The Location the server answers `url` with."""
        try:
            r = self.opener.open(url)
            raise SystemExit(f"FAILED: {url} answered {r.status} without a redirect")
        except urllib.error.HTTPError as e:
            check(300 <= e.code < 400, f"{url} answered {e.code}: {e.read()[:300]}")
            return urllib.parse.urljoin(url, e.headers["Location"])


def param(url, name):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get(name, [None])[0]


admin = hydra.ApiClient(hydra.Configuration(host=ADMIN))
oauth2 = hydra.OAuth2Api(admin)
jwk = hydra.JwkApi(admin)
meta = hydra.MetadataApi(admin)
trust_api = hydra.OAuth2Api(admin)

# Metadata.
check(meta.is_alive().status == "ok", "isAlive")
check(meta.is_ready().status == "ok", "isReady")
check(meta.get_version().version, "getVersion")

# Clients: create, get, list (a page and its Link), replace, patch.
created = oauth2.create_o_auth2_client(
    OAuth2Client(
        client_id="py-web",
        client_secret="py-secret-0123",
        client_name="Python",
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        redirect_uris=[CB],
        scope="openid offline_access",
        post_logout_redirect_uris=["http://127.0.0.1:9/bye"],
    )
)
check(created.client_secret == "py-secret-0123", "createOAuth2Client returns the secret")
oauth2.create_o_auth2_client(OAuth2Client(client_id="py-other", grant_types=["client_credentials"]))
got = oauth2.get_o_auth2_client("py-web")
check(got.client_name == "Python" and got.client_secret is None, "getOAuth2Client")
page = oauth2.list_o_auth2_clients_with_http_info(page_size=1)
check(len(page.data) == 1, "listOAuth2Clients page_size=1")
# Header names are case-insensitive (RFC 9110 §5.1) but this SDK hands them over in a plain dict,
# with the case of the wire: Latchkey's are lower case (HTTP/2 style), Hydra's title case.
link = {k.lower(): v for k, v in page.headers.items()}.get("link", "")
check('rel="next"' in link, "listOAuth2Clients Link next")
check({c.client_id for c in oauth2.list_o_auth2_clients()} >= {"py-web", "py-other"}, "list")
got.client_name = "Python, replaced"
got.client_secret = None
check(oauth2.set_o_auth2_client("py-web", got).client_name == "Python, replaced", "setOAuth2Client")
patched = oauth2.patch_o_auth2_client(
    "py-web", [JsonPatch(op="replace", path="/client_name", value="Python, patched")]
)
check(patched.client_name == "Python, patched", "patchOAuth2Client")
timed = oauth2.set_o_auth2_client_lifespans(
    "py-web", OAuth2ClientTokenLifespans(client_credentials_grant_access_token_lifespan="2m")
)
check(timed.client_credentials_grant_access_token_lifespan == "2m0s", "setOAuth2ClientLifespans")
oauth2.set_o_auth2_client_lifespans("py-web", OAuth2ClientTokenLifespans())


def start_flow(b, pkce=True):
    """The login challenge's URL. The SDK's token call has no code_verifier field, so the flow
    whose code it exchanges goes without PKCE (a confidential client may)."""
    verifier = secrets.token_urlsafe(32)
    challenge = urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    q = {
        "client_id": "py-web",
        "response_type": "code",
        "scope": "openid offline_access",
        "redirect_uri": CB,
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
    }
    if pkce:
        q.update(code_challenge=challenge.decode(), code_challenge_method="S256")
    return b.get(f"{PUBLIC}/oauth2/auth?{urllib.parse.urlencode(q)}")


# A complete flow: login and consent through the SDK, the code exchanged with the SDK.
b = Browser()
loc = start_flow(b, pkce=False)
login_challenge = param(loc, "login_challenge")
login = oauth2.get_o_auth2_login_request(login_challenge)
check(login.client.client_id == "py-web" and not login.skip, "getOAuth2LoginRequest")
accepted = oauth2.accept_o_auth2_login_request(
    login_challenge, AcceptOAuth2LoginRequest(subject="py-user", remember=True, remember_for=0)
)
loc = b.get(accepted.redirect_to)
consent_challenge = param(loc, "consent_challenge")
consent = oauth2.get_o_auth2_consent_request(consent_challenge)
check(consent.subject == "py-user", "getOAuth2ConsentRequest")
check(set(consent.requested_scope) == {"openid", "offline_access"}, "requested_scope")
accepted = oauth2.accept_o_auth2_consent_request(
    consent_challenge,
    AcceptOAuth2ConsentRequest(
        grant_scope=consent.requested_scope,
        remember=True,
        remember_for=0,
        session=AcceptOAuth2ConsentRequestSession(id_token={"email": "py@example.com"}),
    ),
)
loc = b.get(accepted.redirect_to)
code = param(loc, "code")
check(loc.startswith(CB) and code, f"the code comes back: {loc}")
public = hydra.ApiClient(
    hydra.Configuration(host=PUBLIC, username="py-web", password="py-secret-0123")
)
exchanged = hydra.OAuth2Api(public).oauth2_token_exchange(
    grant_type="authorization_code", code=code, redirect_uri=CB
)
tokens = {"access_token": exchanged.access_token, "id_token": exchanged.id_token,
          "refresh_token": exchanged.refresh_token}
check(tokens.get("id_token") and tokens.get("refresh_token"), "token exchange")
intro = oauth2.introspect_o_auth2_token(token=tokens["access_token"])
check(intro.active and intro.sub == "py-user" and intro.client_id == "py-web", "introspectOAuth2Token")
check(not oauth2.introspect_o_auth2_token(token="nonsense").active, "introspect: inactive")
sessions = oauth2.list_o_auth2_consent_sessions(subject="py-user")
check(len(sessions) == 1 and sessions[0].consent_request.client.client_id == "py-web", "listOAuth2ConsentSessions")
keys = hydra.WellknownApi(public).discover_json_web_keys()
check(any(k.use == "sig" for k in keys.keys), "discoverJsonWebKeys")

# Rejections: the login, then (after a login) the consent.
b2 = Browser()
loc = start_flow(b2)
rejected = oauth2.reject_o_auth2_login_request(
    param(loc, "login_challenge"), RejectOAuth2Request(error="access_denied", error_description="no")
)
loc = b2.get(rejected.redirect_to)
check(param(loc, "error") == "access_denied", f"rejectOAuth2LoginRequest: {loc}")
b3 = Browser()
loc = start_flow(b3)
accepted = oauth2.accept_o_auth2_login_request(
    param(loc, "login_challenge"), AcceptOAuth2LoginRequest(subject="py-user-2")
)
loc = b3.get(accepted.redirect_to)
rejected = oauth2.reject_o_auth2_consent_request(
    param(loc, "consent_challenge"), RejectOAuth2Request(error="access_denied")
)
loc = b3.get(rejected.redirect_to)
check(param(loc, "error") == "access_denied", f"rejectOAuth2ConsentRequest: {loc}")
try:
    oauth2.get_o_auth2_login_request("nonsense")
    check(False, "an unknown challenge is 404")
except NotFoundException:
    pass

# Logout in the first browser: rejected once, then accepted.
logout_url = f"{PUBLIC}/oauth2/sessions/logout?" + urllib.parse.urlencode(
    {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:9/bye"}
)
loc = b.get(logout_url)
logout = oauth2.get_o_auth2_logout_request(param(loc, "logout_challenge"))
check(logout.subject == "py-user" and logout.rp_initiated, "getOAuth2LogoutRequest")
oauth2.reject_o_auth2_logout_request(param(loc, "logout_challenge"))
loc = b.get(logout_url)
done = oauth2.accept_o_auth2_logout_request(param(loc, "logout_challenge"))
loc = b.get(done.redirect_to)
check(loc.startswith("http://127.0.0.1:9/bye"), f"acceptOAuth2LogoutRequest: {loc}")

# Sessions and tokens.
oauth2.revoke_o_auth2_consent_sessions(subject="py-user", client="py-web")
check(oauth2.list_o_auth2_consent_sessions(subject="py-user") == [], "revokeOAuth2ConsentSessions")
check(not oauth2.introspect_o_auth2_token(token=tokens["access_token"]).active, "revoked with the consent")
oauth2.revoke_o_auth2_consent_sessions(subject="py-user-2", all=True)
oauth2.revoke_o_auth2_login_sessions(subject="py-user")
oauth2.delete_o_auth2_token(client_id="py-web")

# JSON Web Keys.
made = jwk.create_json_web_key_set("py-set", CreateJsonWebKeySet(alg="ES256", kid="py-k1", use="sig"))
check(made.keys[0].kid == "py-k1" and made.keys[0].d, "createJsonWebKeySet")
check(jwk.get_json_web_key_set("py-set").keys[0].crv == "P-256", "getJsonWebKeySet")
key = jwk.get_json_web_key("py-set", "py-k1").keys[0]
check(jwk.set_json_web_key("py-set", "py-k1", key).kid == "py-k1", "setJsonWebKey")
check(len(jwk.set_json_web_key_set("py-set-2", JsonWebKeySet(keys=[key])).keys) == 1, "setJsonWebKeySet")
jwk.delete_json_web_key("py-set", "py-k1")
jwk.delete_json_web_key_set("py-set-2")
try:
    jwk.get_json_web_key_set("py-set-2")
    check(False, "a deleted set is 404")
except NotFoundException:
    pass

# Discovery, as the SDK's model reads it.
disc = hydra.OidcApi(hydra.ApiClient(hydra.Configuration(host=PUBLIC))).discover_oidc_configuration()
check(disc.device_authorization_endpoint == f"{PUBLIC}/oauth2/device/auth", "discoverOidcConfiguration")
check("urn:ietf:params:oauth:grant-type:device_code" in disc.grant_types_supported, "device grant listed")

# The device grant: the device asks with the SDK (a confidential client, Basic credentials; the
# operation takes no parameters), the verification app accepts the user code with the SDK, the
# login and consent apps as above, and the device's poll gets tokens.
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
oauth2.create_o_auth2_client(
    OAuth2Client(client_id="py-tv", client_secret="py-tv-secret-0123", grant_types=[DEVICE], scope="openid")
)
basic = "Basic " + base64.b64encode(b"py-tv:py-tv-secret-0123").decode()
public_plain = hydra.OAuth2Api(hydra.ApiClient(hydra.Configuration(host=PUBLIC)))
dev = public_plain.o_auth2_device_flow(_headers={"Authorization": basic})
check(dev.device_code.startswith("ory_dc_") and dev.interval >= 1 and dev.expires_in > 0, "oAuth2DeviceFlow")
check(dev.verification_uri == f"{PUBLIC}/oauth2/device/verify", f"verification_uri {dev.verification_uri}")


def poll(device_code):
    body = urllib.parse.urlencode({"grant_type": DEVICE, "device_code": device_code}).encode()
    req = urllib.request.Request(f"{PUBLIC}/oauth2/token", data=body, headers={"Authorization": basic})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


status, answer = poll(dev.device_code)
check(status == 400 and answer["error"] == "authorization_pending", f"pending: {answer}")
bd = Browser()
loc = bd.get(dev.verification_uri_complete)
device_challenge = param(loc, "device_challenge")
check(device_challenge and param(loc, "user_code") == dev.user_code, f"device challenge: {loc}")
try:
    oauth2.accept_user_code_request(device_challenge, AcceptDeviceUserCodeRequest(user_code="BCDF-GHJK"))
    check(False, "a wrong user code is refused")
except hydra.exceptions.BadRequestException:
    pass
accepted = oauth2.accept_user_code_request(
    device_challenge, AcceptDeviceUserCodeRequest(user_code=dev.user_code.lower())
)
loc = bd.get(accepted.redirect_to)
login_challenge = param(loc, "login_challenge")
check(oauth2.get_o_auth2_login_request(login_challenge).client.client_id == "py-tv", "device login")
accepted = oauth2.accept_o_auth2_login_request(login_challenge, AcceptOAuth2LoginRequest(subject="py-tv-user"))
loc = bd.get(accepted.redirect_to)
consent_challenge = param(loc, "consent_challenge")
consent = oauth2.get_o_auth2_consent_request(consent_challenge)
check(not consent.skip and "/oauth2/device/verify" in consent.request_url, "device consent")
accepted = oauth2.accept_o_auth2_consent_request(
    consent_challenge, AcceptOAuth2ConsentRequest(grant_scope=consent.requested_scope)
)
loc = bd.get(accepted.redirect_to)
check("/ui/device/done" in loc and param(loc, "client_id") == "py-tv", f"success page: {loc}")
status, answer = poll(dev.device_code)
check(status == 200 and answer["access_token"] and "id_token" not in answer, f"device tokens: {answer}")
intro = oauth2.introspect_o_auth2_token(token=answer["access_token"])
check(intro.active and intro.sub == "py-tv-user" and intro.client_id == "py-tv", "device token introspected")
oauth2.delete_o_auth2_client("py-tv")

# The JWT-bearer grant (RFC 7523): an "identity provider" key (RS256, made by the key API, its
# private part kept here), the trust relationship operations, and an assertion signed here with
# plain RSA arithmetic (PKCS#1 v1.5), exchanged at the token endpoint.
def b64int(s):
    return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "big")


def b64json(v):
    return urlsafe_b64encode(json.dumps(v).encode()).rstrip(b"=").decode()


idp_key = jwk.create_json_web_key_set("py-idp", CreateJsonWebKeySet(alg="RS256", kid="py-idp-1", use="sig")).keys[0]
jwk.delete_json_web_key_set("py-idp")
public_jwk = JsonWebKey(alg="RS256", kid="py-idp-1", kty="RSA", use="sig", n=idp_key.n, e=idp_key.e)
expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
trusted = trust_api.trust_o_auth2_jwt_grant_issuer(
    TrustOAuth2JwtGrantIssuer(issuer="https://py-idp.example", subject="py-alice", scope=["read"], jwk=public_jwk, expires_at=expires)
)
check(trusted.issuer == "https://py-idp.example" and trusted.public_key.kid == "py-idp-1" and trusted.public_key.set == "https://py-idp.example", "trustOAuth2JwtGrantIssuer")
check(trust_api.get_trusted_o_auth2_jwt_grant_issuer(trusted.id).subject == "py-alice", "getTrustedOAuth2JwtGrantIssuer")
listed = trust_api.list_trusted_o_auth2_jwt_grant_issuers(issuer="https://py-idp.example")
check([t.id for t in listed] == [trusted.id], "listTrustedOAuth2JwtGrantIssuers")
oauth2.create_o_auth2_client(OAuth2Client(client_id="py-svc", client_secret="py-svc-secret-0123", grant_types=["urn:ietf:params:oauth:grant-type:jwt-bearer"]))
now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
claims = {"iss": "https://py-idp.example", "sub": "py-alice", "aud": PUBLIC + "/oauth2/token", "iat": now, "exp": now + 300, "jti": secrets.token_hex(8)}
signing_input = (b64json({"alg": "RS256", "kid": "py-idp-1", "typ": "JWT"}) + "." + b64json(claims)).encode()
n, d = b64int(idp_key.n), b64int(idp_key.d)
k = (n.bit_length() + 7) // 8
digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(signing_input).digest()
em = b"\x00\x01" + b"\xff" * (k - len(digest_info) - 3) + b"\x00" + digest_info
signature = pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")
assertion = signing_input.decode() + "." + urlsafe_b64encode(signature).rstrip(b"=").decode()
req = urllib.request.Request(
    PUBLIC + "/oauth2/token",
    data=urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion, "scope": "read"}).encode(),
    headers={"Authorization": "Basic " + base64.b64encode(b"py-svc:py-svc-secret-0123").decode()},
)
answer = json.loads(urllib.request.urlopen(req).read())
intro = oauth2.introspect_o_auth2_token(token=answer["access_token"])
check(intro.active and intro.sub == "py-alice" and intro.client_id == "py-svc" and intro.scope == "read", f"jwt-bearer token introspected: {intro}")
trust_api.delete_trusted_o_auth2_jwt_grant_issuer(trusted.id)
try:
    trust_api.get_trusted_o_auth2_jwt_grant_issuer(trusted.id)
    check(False, "a deleted trust relationship is 404")
except NotFoundException:
    pass
oauth2.delete_o_auth2_client("py-svc")

# Dynamic client registration (RFC 7591/7592) through the SDK's OidcApi, the registration access
# token as its bearer credential.
dcr = hydra.OidcApi(hydra.ApiClient(hydra.Configuration(host=PUBLIC)))
reg = dcr.create_oidc_dynamic_client(OAuth2Client(client_name="py-self", grant_types=["client_credentials"], redirect_uris=[CB]))
check(reg.client_id and reg.client_secret and reg.registration_access_token, f"createOidcDynamicClient: {reg}")
check(reg.registration_client_uri == f"{PUBLIC}/oauth2/register/{reg.client_id}", "registration_client_uri")
mine = hydra.OidcApi(hydra.ApiClient(hydra.Configuration(host=PUBLIC, access_token=reg.registration_access_token)))
got = mine.get_oidc_dynamic_client(reg.client_id)
check(got.client_name == "py-self" and got.client_secret is None, "getOidcDynamicClient")
got.client_name = "py-self, renamed"
updated = mine.set_oidc_dynamic_client(reg.client_id, got)
check(updated.client_name == "py-self, renamed" and updated.registration_access_token != reg.registration_access_token, "setOidcDynamicClient rotates the token")
stale = hydra.OidcApi(hydra.ApiClient(hydra.Configuration(host=PUBLIC, access_token=reg.registration_access_token)))
try:
    stale.get_oidc_dynamic_client(reg.client_id)
    check(False, "the replaced registration token is refused")
except hydra.exceptions.UnauthorizedException:
    pass
fresh = hydra.OidcApi(hydra.ApiClient(hydra.Configuration(host=PUBLIC, access_token=updated.registration_access_token)))
fresh.delete_oidc_dynamic_client(reg.client_id)
try:
    oauth2.get_o_auth2_client(reg.client_id)
    check(False, "deleteOidcDynamicClient deletes the client")
except NotFoundException:
    pass

# And the clients go.
oauth2.delete_o_auth2_client("py-other")
oauth2.delete_o_auth2_client("py-web")
try:
    oauth2.get_o_auth2_client("py-web")
    check(False, "a deleted client is 404")
except NotFoundException:
    pass
print("ok")
