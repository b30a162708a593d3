"""Where bench.relay serves the framework's floor: shared by the relay and its load generator,
which must not import Django (bench.relay does)."""

FLOOR_HTTP_PATH = "/bench/floor/relay/"
FLOOR_WS_PATH = "/bench/floor/ws/"
