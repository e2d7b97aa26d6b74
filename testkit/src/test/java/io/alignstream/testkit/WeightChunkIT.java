package io.alignstream.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.WeightChunk;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The largest records of the system, a full weight chunk, pass the broker's and clients' limits. */
@ExtendWith(KafkaFixture.class)
class WeightChunkIT {
  @Test
  void aFullSizeWeightChunkRoundTrips(KafkaConnection kafka, Topics topics) throws Exception {
    // Given a chunk with a full 1 MiB payload of incompressible bytes
    byte[] data = new byte[Topics.WEIGHT_CHUNK_BYTES];
    new Random(7).nextBytes(data);
    var chunk = WeightChunk.newBuilder()
        .setModelName("policy")
        .setVersion(3)
        .setIndex(0)
        .setSha256(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)))
        .setData(ByteBuffer.wrap(data))
        .build();

    // When it is produced to the weight-chunks topic
    var topic = topics.weightChunks;
    try (var producer = new KafkaProducer<>(kafka.producerConfig(),
        topic.keySerde().serializer(), topic.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(topic.name(), "policy/0", chunk)).get();
    }

    // Then it is read back whole
    var records = TopicReader.readCommitted(kafka, topic);
    assertEquals(1, records.size());
    WeightChunk back = records.get(0).value();
    assertEquals("policy/0", records.get(0).key());
    assertEquals(chunk.getSha256(), back.getSha256());
    byte[] read = new byte[back.getData().remaining()];
    back.getData().get(read);
    assertArrayEquals(data, read);
  }
}
