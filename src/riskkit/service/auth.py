"""Who may call what: API keys (``Authorization: Bearer KEY``) or the pages' session cookie,
and the roles each endpoint allows."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from riskkit.service.keys import KeyStore

__all__ = ["ACCESS", "Principal", "authenticate", "require"]

#: The roles each part of the service allows. An override is a case worker's professional
#: decision, so only case workers record one; auditors and admins read everything; a case
#: worker reads the reports of the scores they made.
ACCESS: Final[dict[str, frozenset[str]]] = {
    "score": frozenset({"case_worker", "admin"}),
    "reports": frozenset({"case_worker", "auditor", "admin"}),
    "overrides": frozenset({"case_worker"}),
    "models": frozenset({"analyst", "case_worker", "auditor", "admin"}),
    "audits": frozenset({"analyst", "auditor", "admin"}),
    "log": frozenset({"auditor", "admin"}),
}
SESSION_KEY: Final = "key_hash"
#: Documents the key in the OpenAPI schema; the check itself is :func:`authenticate`.
BEARER: Final = HTTPBearer(
    auto_error=False, description="An API key from `riskkit keys create --role ROLE --name NAME`."
)
UNAUTHENTICATED: Final = "send an API key as 'Authorization: Bearer KEY' (riskkit keys create)"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: the key's name (the user, in the log) and role."""

    name: str
    role: str
    via_session: bool = False


class LoginRequiredError(Exception):
    """A page was asked for without a session: the pages answer with the login form."""


#: Where a request's caller is kept once found, so the key is checked once per request.
PRINCIPAL_SCOPE_KEY: Final = "riskkit.principal"


def authenticate(request: Request) -> Principal | None:
    """The caller, from a bearer key or the session cookie; None when neither is valid.
    Found once per request and kept in its scope."""
    if PRINCIPAL_SCOPE_KEY in request.scope:
        known: Principal | None = request.scope[PRINCIPAL_SCOPE_KEY]
        return known
    principal = _find_principal(request)
    request.scope[PRINCIPAL_SCOPE_KEY] = principal
    return principal


def _find_principal(request: Request) -> Principal | None:
    keys: KeyStore = request.app.state.keys
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        found = keys.authenticate(secret.strip())
        return None if found is None else Principal(found.name, found.role)
    key_hash = request.session.get(SESSION_KEY) if "session" in request.scope else None
    if isinstance(key_hash, str):
        found = keys.by_hash(key_hash)
        if found is not None:
            return Principal(found.name, found.role, via_session=True)
    return None


def require(area: str, *, page: bool = False) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits only the roles of ``area`` (see :data:`ACCESS`).

    Unauthenticated callers get 401 (pages: the login form); callers with another role 403.
    """
    allowed = ACCESS[area]

    async def dependency(  # async: no thread hop for a check of microseconds
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
    ) -> Principal:
        principal = authenticate(request)
        if principal is None:
            if page:
                raise LoginRequiredError
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                UNAUTHENTICATED,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"the role {principal.role!r} may not use this; allowed: "
                + ", ".join(sorted(allowed)),
            )
        return principal

    return dependency
