"""ASGI entry point: HTTP goes to Django, WebSockets to the Channels consumers.

With no ACS connection string configured, the ACS emulator is served by this same process under
/acs-emulator/ (the embedded default, like Azurite for Azure Storage).
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models (the routing modules do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import re_path  # noqa: E402

from calls.background import with_background_work  # noqa: E402
from config.body_limits import with_body_limit  # noqa: E402
from config.emulator_mount import with_embedded_emulator  # noqa: E402
from config.websockets import NoSuchSocket  # noqa: E402
from incidents.metrics import count_websocket_clients  # noqa: E402
from incidents.routing import websocket_urlpatterns  # noqa: E402

if settings.DEBUG:
    # daphne serves no static files itself; in production `collectstatic` and a proxy do.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

served_app = (
    with_embedded_emulator(django_asgi_app) if settings.ACS_EMULATOR_ENABLED else django_asgi_app
)
# One body size limit for everything served over HTTP, the embedded emulator included.
http_app = with_body_limit(served_app)

# Everything imported so far lives as long as the process: freeze it out of the collector's
# scans, and collect the young generation less often. Full collections over a heap of Django
# objects stalled callback answers and WebSocket frames for ~90 ms every few seconds (bench/).
gc.freeze()
gc.set_threshold(100_000, 50, 1000)

application = with_background_work(
    ProtocolTypeRouter(
        {
            "http": http_app,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(
                    count_websocket_clients(
                        URLRouter(
                            [
                                # The stubs know only HTTP views (incidents.routing).
                                *websocket_urlpatterns,  # type: ignore[list-item]
                                # Last: any other path is refused at the handshake.
                                re_path(r"", NoSuchSocket.as_asgi()),  # type: ignore[arg-type,list-item]
                            ]
                        )
                    )
                )
            ),
        }
    )
)
