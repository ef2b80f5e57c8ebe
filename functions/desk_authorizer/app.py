"""Desk authorizer: the HTTP API's authorizer of the desk routes. It lets a request through only
with a session cookie holding an ID token of the user pool for the desk's app client, verified
against the pool's keys (the checks a JWT authorizer makes, on the cookie a browser sends; see
docs/desk.md). The desk function identifies the visitor again and checks their groups."""
from aws_lambda_powertools import Logger

from pressroom import bootstrap

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: object) -> dict:
    cookie_header = "; ".join(event.get("cookies") or []) or (event.get("headers") or {}).get("cookie", "")
    found = bootstrap.desk_identity().identify(cookie_header)
    logger.info("desk authorizer", authorized=found is not None, route=event.get("routeKey", ""))
    return {"isAuthorized": found is not None}
