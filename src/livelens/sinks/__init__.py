"""Where livelens sends what it finds: outbound deliveries (webhooks), the mirror of ``sources``."""
