package io.alignstream.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * An older writer read by the current reader, and the reverse: the rule every schema change must
 * keep (add fields only with defaults), checked with {@link SchemaCompatibility} and by decoding.
 */
class SchemaEvolutionTest {
  private static final Schema CURRENT = Generation.getClassSchema();

  static Schema oldGeneration() throws IOException {
    try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/history/Generation-v0.avsc")) {
      return new Schema.Parser().parse(in);
    }
  }

  @Test
  void compatibleBothWays() throws IOException {
    Schema old = oldGeneration();
    assertEquals(SchemaCompatibilityType.COMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(CURRENT, old).getType(), "new reader, old writer");
    assertEquals(SchemaCompatibilityType.COMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(old, CURRENT).getType(), "old reader, new writer");
  }

  @Test
  void aRequiredFieldWithoutDefaultIsCaught() throws IOException {
    Schema old = oldGeneration();
    Schema breaking = SchemaBuilder.record("Generation").namespace("io.alignstream.schemas").fields()
        .requiredString("id").requiredString("mandatoryNewField").endRecord();
    assertEquals(SchemaCompatibilityType.INCOMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(breaking, old).getType());
  }

  @Test
  void currentReaderDecodesRecordsOfTheOldWriter() throws IOException {
    Schema old = oldGeneration();
    GenericRecord v0 = new GenericData.Record(old);
    v0.put("id", "p/policy/0");
    v0.put("promptId", "p");
    v0.put("prompt", "what is 2 plus 2 ?");
    v0.put("response", "4 .");
    v0.put("promptTokenIds", List.of(1, 2, 3));
    v0.put("responseTokenIds", List.of(4, 5, 0));
    v0.put("logProbs", List.of(-0.5f, -0.25f, -0.125f));
    v0.put("policyVersion", 7L);
    v0.put("sampleIndex", 2);
    v0.put("samplerId", "sampler-1");
    v0.put("temperature", 1.0f);
    v0.put("topP", 0.95f);
    v0.put("stoppedAtEos", true);
    v0.put("createdAtMs", 1234L);
    ByteBuffer bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), old).encode(v0);

    var withHistory = AvroSerde.of(Generation.class, List.of(old));
    Generation read = withHistory.deserializer().deserialize("t", toArray(bytes));
    assertEquals("p/policy/0", read.getId());
    assertEquals(List.of(-0.5f, -0.25f, -0.125f), read.getLogProbs());
    assertEquals("policy", read.getPolicyName(), "default of the field the old writer lacked");
    assertEquals(0, read.getTopK());
    assertEquals(7L, read.getPolicyVersion());

    var withoutHistory = AvroSerde.of(Generation.class);
    assertThrows(SerializationException.class,
        () -> withoutHistory.deserializer().deserialize("t", toArray(bytes)),
        "an unknown writer schema is an error, never garbage");
  }

  @Test
  void oldReaderDecodesRecordsOfTheCurrentWriter() throws IOException {
    Schema old = oldGeneration();
    Generation current = Generation.newBuilder()
        .setId("p/sft/1").setPromptId("p").setPrompt("x").setResponse("y")
        .setPromptTokenIds(List.of(1)).setResponseTokenIds(List.of(2, 0)).setLogProbs(List.of(-1f, -2f))
        .setPolicyName("sft").setPolicyVersion(3).setSampleIndex(1).setSamplerId("s")
        .setTemperature(0.7f).setTopP(1f).setTopK(40).setStoppedAtEos(true).setCreatedAtMs(9).build();
    byte[] bytes = AvroSerde.of(Generation.class).serializer().serialize("t", current);

    SchemaStore.Cache store = new SchemaStore.Cache();
    store.addSchema(CURRENT);
    var oldReader = new BinaryMessageDecoder<GenericRecord>(GenericData.get(), old, store);
    GenericRecord read = oldReader.decode(bytes);
    assertEquals("p/sft/1", read.get("id").toString());
    assertEquals(3L, read.get("policyVersion"));
    assertEquals(0.7f, read.get("temperature"));
  }

  private static byte[] toArray(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }
}
