"""The API gateway: a reverse proxy in front of the User and Order services.

Run it with ``backbone serve gateway``: that adds the server settings a proxy needs
(uvicorn must not trust ``X-Forwarded-For`` itself, nor add its own ``Server`` and
``Date`` over the upstream's). ``uvicorn --factory backbone.gateway:create_app
--no-proxy-headers --no-server-header --no-date-header`` does the same by hand.
"""

from backbone.gateway.main import create_app

__all__ = ["create_app"]
