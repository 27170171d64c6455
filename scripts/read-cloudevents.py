#!/usr/bin/env python3
"""Independent CloudEvents reader: consumes a topic with confluent-kafka and decodes every
message with the `cloudevents` SDK's Kafka binary binding. Prints one JSON line per event
with the attributes the SDK decoded. Usage: read-cloudevents.py BOOTSTRAP TOPIC COUNT"""
import json, sys, uuid
from confluent_kafka import Consumer
from cloudevents.core.bindings.kafka import from_binary, KafkaMessage
from cloudevents.core.formats.json import JSONFormat

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"py-{uuid.uuid4()}",
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
consumer.subscribe([topic])
seen = 0
while seen < count:
    message = consumer.poll(10.0)
    if message is None:
        print("timeout", file=sys.stderr)
        sys.exit(1)
    if message.error():
        continue
    event = from_binary(KafkaMessage(headers=dict(message.headers() or []), key=message.key(), value=message.value()),
                        JSONFormat())
    attributes = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in event.get_attributes().items()}
    print(json.dumps({"attributes": attributes, "data": event.get_data(), "key": message.key().decode()}))
    seen += 1
consumer.close()
