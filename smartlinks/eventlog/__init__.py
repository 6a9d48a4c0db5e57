"""The edge log: every answered click on local disk before its response leaves, read on
from a committed position by the consumer (embedded) or the Kafka publisher."""
