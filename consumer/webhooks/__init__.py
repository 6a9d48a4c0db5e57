"""Webhooks: deliveries for stored clicks and conversions (see ``service``)."""

from consumer.webhooks.service import WebhookService

__all__ = ["WebhookService"]
