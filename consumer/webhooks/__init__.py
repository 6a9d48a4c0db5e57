"""Click triggers: webhook deliveries for stored clicks (see ``service``)."""

from consumer.webhooks.service import WebhookService

__all__ = ["WebhookService"]
