"""The webhook services: emitting events (emitting), sending them (delivering), recovering
sends a dead worker held (recovery) and the subscriptions themselves (subscribing)."""
