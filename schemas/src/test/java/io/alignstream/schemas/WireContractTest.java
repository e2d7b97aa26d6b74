package io.alignstream.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class WireContractTest {

  @Test
  void everyFieldOfEverySchemaIsDocumented() throws IOException {
    List<String> undocumented = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of("avro"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".avsc")).toList()) {
        Schema.Parser parser = new Schema.Parser();
        // Records refer to one another; register the referenced types first.
        parser.parse(Path.of("avro/SampleKind.avsc").toFile());
        if (!file.endsWith("SampleKind.avsc")) {
          if (!file.endsWith("ScoredSample.avsc")) {
            parser.parse(Path.of("avro/ScoredSample.avsc").toFile());
          }
          Schema s = parser.parse(file.toFile());
          if (s.getDoc() == null || s.getDoc().isBlank()) {
            undocumented.add(s.getName());
          }
          s.getFields().stream().filter(f -> f.doc() == null || f.doc().isBlank())
              .forEach(f -> undocumented.add(s.getName() + "." + f.name()));
        }
      }
    }
    assertTrue(undocumented.isEmpty(), "fields without doc: " + undocumented);
  }

  @Test
  void serdeRoundTripsEveryRecordWithItsFingerprintHeader() {
    ScoredSample sample = ScoredSample.newBuilder()
        .setId("d1").setKind(SampleKind.DEMONSTRATION).setPromptId("p").setPrompt("x").setResponse("y")
        .setPromptTokenIds(List.of(1, 2)).setResponseTokenIds(List.of(3, 0)).setLogProbs(List.of())
        .setPolicyName("demonstration").setPolicyVersion(-1).setRewards(List.of(0.5f, 1.5f))
        .setRewardMean(1f).setRewardStd(0.5f).setRewardModelVersion(4).setCreatedAtMs(1).setScoredAtMs(2)
        .build();
    TrainingBatch batch = TrainingBatch.newBuilder().setId("p@2").setPromptId("p")
        .setSamples(List.of(sample, sample)).setComplete(true).setCreatedAtMs(3).build();
    var serde = AvroSerde.of(TrainingBatch.class);
    byte[] bytes = serde.serializer().serialize("t", batch);
    assertEquals((byte) 0xC3, bytes[0]);
    assertEquals((byte) 0x01, bytes[1]);
    assertEquals(batch, serde.deserializer().deserialize("t", bytes));
    assertNull(serde.serializer().serialize("t", null), "tombstones pass through");
    assertNull(serde.deserializer().deserialize("t", null));
  }

  @Test
  void garbageIsASerializationErrorNotACrash() {
    var serde = AvroSerde.of(Demonstration.class);
    assertThrows(SerializationException.class,
        () -> serde.deserializer().deserialize("t", new byte[] {1, 2, 3}));
    byte[] good = serde.serializer().serialize("t", Demonstration.newBuilder().setId("a").setPromptId("b")
        .setPrompt("c").setResponse("d").setSource("e").setCreatedAtMs(1).build());
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 2);
    assertThrows(SerializationException.class, () -> serde.deserializer().deserialize("t", truncated));
  }

  @Test
  void weightChunksCarryBytesExactly() {
    byte[] data = new byte[Topics.WEIGHT_CHUNK_BYTES];
    new java.util.Random(1).nextBytes(data);
    WeightChunk chunk = WeightChunk.newBuilder().setModelName("policy").setVersion(3).setIndex(0)
        .setSha256(ContentId.sha256(data)).setData(java.nio.ByteBuffer.wrap(data)).build();
    var serde = AvroSerde.of(WeightChunk.class);
    byte[] bytes = serde.serializer().serialize("t", chunk);
    assertTrue(bytes.length < Topics.WEIGHT_RECORD_MAX_BYTES);
    WeightChunk read = serde.deserializer().deserialize("t", bytes);
    byte[] back = new byte[read.getData().remaining()];
    read.getData().get(back);
    assertArrayEquals(data, back);
    assertEquals(ContentId.sha256(back), read.getSha256());
  }

  @Test
  void eachModelLineHasItsOwnChunkPartitionAndOldOneChunkPartitionRunsStillMap() {
    Topics t = Topics.forRun("exp-1");
    int n = t.weightChunks.partitions();
    var lines = List.of(ModelLines.POLICY, ModelLines.REWARD, ModelLines.BASE, ModelLines.SFT);
    assertEquals(lines.size(), lines.stream().map(l -> Topics.weightChunkPartition(l, n)).distinct().count(),
        "a subscriber of one line must not fetch another's chunks");
    for (String line : List.of(ModelLines.POLICY, ModelLines.REWARD, ModelLines.BASE, ModelLines.SFT, "policy-b", "x")) {
      int p = Topics.weightChunkPartition(line, n);
      assertTrue(p >= 0 && p < n, line + " -> " + p);
      assertEquals(p, Topics.weightChunkPartition(line, n), "stable");
      assertEquals(0, Topics.weightChunkPartition(line, 1), "a run created with one chunk partition");
    }
    assertThrows(IllegalArgumentException.class, () -> Topics.weightChunkPartition(ModelLines.POLICY, 0));
  }

  @Test
  void topicsArePerRunUniqueAndBound() {
    Topics a = Topics.forRun("exp-1");
    Topics b = Topics.forRun("exp-2");
    var names = new HashSet<String>();
    a.all().forEach(t -> assertTrue(names.add(t.name()), "duplicate " + t.name()));
    b.all().forEach(t -> assertTrue(names.add(t.name()), "runs share " + t.name()));
    assertEquals("alignstream.exp-1.generations", a.generations.name());
    assertEquals(Optional.of("exp-1"), Topics.runOf(a.weightChunks.name()));
    assertEquals(Optional.empty(), Topics.runOf("__consumer_offsets"));
    assertEquals(Optional.of(a.prompts), a.find("prompts"));
    assertTrue(a.modelVersions.compacted());
    assertTrue(a.demonstrations.compacted());
    assertFalse(a.generations.compacted());
    assertEquals("-1", a.generations.configs().get("retention.ms"), "replay needs the whole history");
    assertTrue(Integer.parseInt(a.weightChunks.configs().get("max.message.bytes"))
        > Topics.WEIGHT_CHUNK_BYTES);
    assertEquals(1, a.modelVersions.partitions(), "manifests of every line stay in publication order");
    // Any raw record the broker stores must fit on the dead-letter topic with the reason headers added.
    int raw = Integer.parseInt(a.demosRaw.configs().get("max.message.bytes"));
    assertEquals(Topics.RAW_RECORD_MAX_BYTES, raw);
    assertTrue(Integer.parseInt(a.deadLetters.configs().get("max.message.bytes")) >= raw + 64 * 1024);
    assertEquals("-1", a.demosRaw.configs().get("retention.ms"));
  }

  @Test
  void runIdsAreValidated() {
    var e = assertThrows(IllegalArgumentException.class, () -> Topics.forRun("bad run!"));
    assertTrue(e.getMessage().contains("letters, digits"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Topics.forRun(""));
    assertThrows(IllegalArgumentException.class, () -> new Topic<>("t", org.apache.kafka.common.serialization.Serdes.String(),
        org.apache.kafka.common.serialization.Serdes.String(), 0, Map.of()));
  }

  @Test
  void contentIdsAreStableAndUnambiguous() {
    assertEquals(ContentId.ofDemonstration("ab", "c"), ContentId.ofDemonstration("ab", "c"));
    assertNotEquals(ContentId.ofDemonstration("ab", "c"), ContentId.ofDemonstration("a", "bc"));
    assertNotEquals(ContentId.ofPrompt("ab"), ContentId.ofDemonstration("ab", ""));
    assertEquals(32, ContentId.ofPrompt("x").length());
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ContentId.sha256(new byte[0]));
  }
}
