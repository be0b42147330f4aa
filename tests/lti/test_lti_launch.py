"""LTI 1.3 launches over HTTP: a real platform process (lti1p3platform, its own keys and JWKS)
and a real ``formation-tic serve`` in ``lti`` mode; the client walks the whole OIDC flow.

A refused launch gets a French page, no session cookie, and no kernel is started.
"""

from __future__ import annotations

import copy

import httpx
import pytest
from pylti1p3.exception import LtiException

from formation_tic.app.progress import ProgressStore
from formation_tic.app.settings import LTI_IDENTITY_HEADER
from formation_tic.lti.adapter import PlatformKeysets
from formation_tic.lti.keys import load_tool_key
from formation_tic.lti.tool import SESSION_COOKIE
from formation_tic.settings import DataPaths
from tests.lti.support import KERNEL_ID, LtiServer, PlatformProcess, browserless

pytestmark = pytest.mark.slow


def kernels_started(server: LtiServer) -> int:
    """Kernels the server has started so far (its log says each)."""
    return server.log.read_text(errors="replace").count("Kernel started:")


def attempts(server: LtiServer, number: str) -> int:
    with ProgressStore(DataPaths(server.data_dir).progress) as store:
        return len(store.attempts(number))


def test_a_verified_launch_opens_a_session_that_alone_names_the_learner(
    lti_platform: PlatformProcess, lti_server: LtiServer
) -> None:
    with browserless(lti_platform, lti_server) as client:
        result = client.launch("moodle-101", "30000001")
        assert result.response.status_code == 303
        assert result.response.headers["location"] == "/"
        [session] = [h for h in result.jar.set_cookie_headers if h.startswith(SESSION_COOKIE + "=")]
        for attribute in ("HttpOnly", "Secure", "SameSite=None", "Partitioned"):
            assert attribute in session
        # A query string, a forged identity header or the SSO header never override the session.
        page = client.page(
            "?employee_number=30000999&num=30000999",
            headers={LTI_IDENTITY_HEADER: "30000998", "X-Forwarded-User": "30000997"},
        )
        assert page.status_code == 200, page.text[-500:]
        assert KERNEL_ID.search(page.text)
    assert attempts(lti_server, "30000001") == 1
    assert all(attempts(lti_server, n) == 0 for n in ("30000999", "30000998", "30000997"))
    # Names and emails of the token are stored nowhere and logged nowhere.
    for path in (DataPaths(lti_server.data_dir).lti_store, lti_server.log):
        content = path.read_bytes()
        assert b"Camille" not in content and b"camille@" not in content
    with lti_server.store() as store:
        [launch] = [launch for launch in store.launches() if launch.employee_number == "30000001"]
    assert launch.user_id == "moodle-101" and launch.can_post_scores
    assert launch.lineitem == lti_platform.lineitem()


def test_without_a_session_the_page_is_refused_and_no_kernel_starts(lti_server: LtiServer) -> None:
    before = kernels_started(lti_server)
    for headers in ({}, {LTI_IDENTITY_HEADER: "30000002"}, {"Cookie": f"{SESSION_COOKIE}=2|faux"}):
        page = httpx.get(lti_server.url + "?num=30000002", headers=headers, timeout=30)
        assert page.status_code == 403
        assert "Ouvrez la formation depuis l&#x27;ENA" in page.text
    assert kernels_started(lti_server) == before
    assert attempts(lti_server, "30000002") == 0


REFUSED = [
    ("mauvaise-signature", "Lancement refusé", "signature"),
    ("cle-inconnue", "Lancement refusé", "signature"),
    ("mauvais-aud", "Lancement refusé", "pas destiné à cet outil"),
    ("deploiement-inconnu", "Plateforme non inscrite", "déploiement"),
    ("expire", "Lancement expiré", "expiré"),
    ("sans-numero", "Numéro d&#x27;employé non transmis", "employee_number=$Person.sourcedId"),
    ("numero-invalide", "Numéro d&#x27;employé non transmis", "4 à 10 chiffres"),
    ("etat-different", "Lancement refusé", "état de connexion"),
    ("sans-etat", "Lancement refusé", "état de connexion"),
]


@pytest.mark.parametrize(("variant", "title", "detail"), REFUSED, ids=[v for v, _t, _d in REFUSED])
def test_a_refused_launch_gets_a_french_page_no_session_and_no_kernel(
    lti_platform: PlatformProcess, lti_server: LtiServer, variant: str, title: str, detail: str
) -> None:
    number = f"3100{REFUSED.index((variant, title, detail)):04d}"
    before = kernels_started(lti_server)
    with browserless(lti_platform, lti_server) as client:
        result = client.launch("moodle-refus", number, variant=variant)
        answer = result.response
        assert 400 <= answer.status_code < 500, answer.text
        assert 'lang="fr"' in answer.text and f"<h1>{title}</h1>" in answer.text
        assert detail in answer.text
        assert "frame-ancestors 'self' http://127.0.0.1:" in answer.headers["content-security-policy"]
        assert SESSION_COOKIE not in result.jar.values
        assert client.page().status_code == 403  # the frame has nothing to show
    assert kernels_started(lti_server) == before
    assert attempts(lti_server, number) == 0


def test_a_replayed_launch_is_refused(lti_platform: PlatformProcess, lti_server: LtiServer) -> None:
    with browserless(lti_platform, lti_server) as client:
        action, form = client.login("moodle-102", "30000003")
        cookies_at_login = copy.deepcopy(client.jar.values)  # the state cookie included
        assert client.to_tool("POST", action, data=form).status_code == 303
        client.jar.values = cookies_at_login
        client.jar.values.pop(SESSION_COOKIE, None)
        replay = client.to_tool("POST", action, data=form)
        assert replay.status_code == 403 and "Lancement déjà utilisé" in replay.text
        assert SESSION_COOKIE not in client.jar.values


def test_a_launch_posted_without_the_login_step_is_refused(
    lti_platform: PlatformProcess, lti_server: LtiServer
) -> None:
    forged = lti_platform.forge("30000004")  # validly signed by the platform, but no login here
    with browserless(lti_platform, lti_server) as client:
        answer = client.to_tool("POST", lti_server.url + "lti/launch", data=forged)
        assert answer.status_code == 403 and "état de connexion absent" in answer.text
        assert SESSION_COOKIE not in client.jar.values
        # Even with a state cookie matching the posted state, the nonce was never issued here.
        client.jar.values["lti1p3-" + forged["state"]] = forged["state"]
        client.jar.values["lti1p3-session-id"] = "navigateur-inconnu"
        answer = client.to_tool("POST", lti_server.url + "lti/launch", data=forged)
        assert answer.status_code == 403 and SESSION_COOKIE not in client.jar.values
    get = httpx.get(lti_server.url + "lti/launch", timeout=10)
    assert get.status_code == 405 and "Action non permise" in get.text


def test_a_login_from_an_unregistered_platform_is_refused(lti_server: LtiServer) -> None:
    answer = httpx.post(
        lti_server.url + "lti/login",
        data={"iss": "https://inconnue.exemple", "login_hint": "u", "target_link_uri": lti_server.url},
        timeout=10,
    )
    assert answer.status_code == 403 and "Plateforme non inscrite" in answer.text
    assert "set-cookie" not in answer.headers


def test_the_tools_jwks_is_served_over_http(lti_server: LtiServer) -> None:
    answer = httpx.get(lti_server.url + "lti/jwks", timeout=10)
    assert answer.status_code == 200
    [key] = answer.json()["keys"]
    tool_key = load_tool_key(DataPaths(lti_server.data_dir).lti_tool_key)
    assert key == tool_key.jwk() and key["alg"] == "RS256" and "d" not in key


def test_a_platform_key_rotation_is_picked_up(lti_platform: PlatformProcess, lti_server: LtiServer) -> None:
    with browserless(lti_platform, lti_server) as client:
        assert client.launch("moodle-103", "30000005").response.status_code == 303
    served = lti_platform.state()["jwks_served"]
    new_kid = lti_platform.rotate()
    with browserless(lti_platform, lti_server) as client:
        result = client.launch("moodle-103", "30000005")
        assert result.response.status_code == 303, result.response.text
    state = lti_platform.state()
    assert state["kid"] == new_kid and state["jwks_served"] == served + 1  # fetched again, once


def test_unknown_key_ids_refetch_the_keyset_at_most_once_per_cooldown(lti_platform: PlatformProcess) -> None:
    keysets = PlatformKeysets(cache_seconds=3600, refresh_cooldown=60)
    url = lti_platform.url + "jwks"
    kid = lti_platform.state()["kid"]
    assert keysets.find(url, kid, "RS256")["kid"] == kid
    for _ in range(3):
        with pytest.raises(LtiException, match="Unable to find public key"):
            keysets.find(url, "cle-inventee", "RS256")
    assert keysets.fetches == 1  # the refresh waits for the cooldown
