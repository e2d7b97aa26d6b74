package io.alignstream.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.ModelConfig;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.schemas.ModelVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A live model whose line publishes LoRA adapters over a base on another line, in every order of arrival. */
class LiveModelAdaptersTest {
  /** What a built version is: its origin, for the assertions. */
  record Built(String what, long version) implements AutoCloseable {
    @Override
    public void close() {}
  }

  /** Counts what it is asked to do; the base is "loaded" once. */
  static final class Adapters implements AdapterFactory<Built> {
    final List<String> calls = new ArrayList<>();
    boolean closed;

    @Override
    public String baseLine() {
      return "base";
    }

    @Override
    public String format() {
      return PublishedWeights.ADAPTER;
    }

    @Override
    public void loadBase(ModelConfig config, byte[] payload, long version) {
      calls.add("base v" + version + " (" + payload.length + " bytes)");
    }

    @Override
    public Built adapt(String adapterConfigJson, byte[] adapter, long version) {
      calls.add("adapt v" + version + " " + adapterConfigJson);
      return new Built("adapter", version);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private String configJson;
  private String tokenizerJson;
  private final Adapters adapters = new Adapters();
  private final LiveModel<Built> model = new LiveModel<>("policy", "sampler",
      (config, payload, version) -> new Built("whole", version), adapters);

  @BeforeEach
  void setUp(@TempDir Path dir) throws Exception {
    Path tokenizer = new WordLevelTokenizerBuilder(16).add("a b c").write(dir.resolve("tokenizer.json"));
    tokenizerJson = Files.readString(tokenizer);
    configJson = Gpt2Config.tiny(16, 1).toJson();
  }

  private PublishedWeights weights(String line, long version, boolean adapter, int bytes) {
    return weights(line, version, adapter ? PublishedWeights.ADAPTER : PublishedWeights.FULL, bytes);
  }

  private PublishedWeights weights(String line, long version, String format, int bytes) {
    boolean adapter = !format.equals(PublishedWeights.FULL);
    Map<String, String> meta = new HashMap<>();
    if (adapter) {
      meta.put(PublishedWeights.ADAPTER_CONFIG, "{\"r\":" + version + "}");
      meta.put(PublishedWeights.ADAPTER_BASE, "base");
    }
    ModelVersion m = ModelVersion.newBuilder().setModelName(line).setVersion(version)
        .setFormat(format).setTotalBytes(bytes).setChunkCount(1)
        .setSha256("").setConfigJson(configJson).setTokenizerJson(tokenizerJson).setTrainedSamples(0)
        .setCreatedAtMs(0).setMetadata(meta).build();
    return new PublishedWeights(m, new byte[bytes]);
  }

  private Built current() {
    return model.withModel(LiveModel.Version::model);
  }

  @Test
  void anAdapterBeforeItsBaseWaitsForItAndTheBaseLoadsOnce() throws Exception {
    model.onWeights(weights("policy", 1, true, 10));
    assertFalse(model.ready(), "no base yet: nothing to serve");
    model.onWeights(weights("base", 0, false, 100));
    assertEquals(new Built("adapter", 1), current());
    model.onWeights(weights("policy", 2, true, 10));
    assertEquals(new Built("adapter", 2), current());
    assertEquals(List.of("base v0 (100 bytes)", "adapt v1 {\"r\":1}", "adapt v2 {\"r\":2}"), adapters.calls);
    model.close();
    assertTrue(adapters.closed, "closing the model frees the base");
  }

  @Test
  void aBaseBeforeItsAdapterIsKeptUntilTheAdapterComes() throws Exception {
    model.onWeights(weights("base", 0, false, 100));
    assertFalse(model.ready());
    assertEquals(List.of(), adapters.calls, "the base is built only when an adapter needs it");
    model.onWeights(weights("policy", 1, true, 10));
    assertEquals(new Built("adapter", 1), current());
    var second = assertThrows(IllegalArgumentException.class, () -> model.onWeights(weights("base", 1, false, 100)));
    assertTrue(second.getMessage().contains("second base"), second.getMessage());
    assertEquals(new Built("adapter", 1), current(), "the version in use stays");
  }

  @Test
  void wholeWeightsNeedNoBaseAndAServiceWithoutAdaptersRefusesOne() throws Exception {
    model.onWeights(weights("policy", 1, false, 100));
    model.onWeights(weights("base", 0, false, 100)); // not kept: this line publishes whole weights
    assertEquals(new Built("whole", 1), current());
    assertEquals(List.of(), adapters.calls);

    var plain = new LiveModel<Built>("policy", "rewarder", (config, payload, version) -> new Built("whole", version));
    assertEquals(null, plain.baseLine());
    var refused = assertThrows(IllegalArgumentException.class, () -> plain.onWeights(weights("policy", 1, true, 10)));
    assertTrue(refused.getMessage().contains("serves whole weights only"), refused.getMessage());
    var other = assertThrows(IllegalArgumentException.class, () -> plain.onWeights(weights("base", 0, false, 10)));
    assertTrue(other.getMessage().contains("expected policy"), other.getMessage());
  }

  @Test
  void aVersionOverTheBaseInAnotherFormatIsRefusedAndTheOldOneStays() throws Exception {
    model.onWeights(weights("base", 0, false, 100));
    model.onWeights(weights("policy", 1, true, 10));
    var refused = assertThrows(IllegalArgumentException.class,
        () -> model.onWeights(weights("policy", 2, PublishedWeights.HEADS, 10)));
    assertTrue(refused.getMessage().contains("v2 is reward-heads over a base")
        && refused.getMessage().contains("whole weights or peft-lora"), refused.getMessage());
    assertEquals(new Built("adapter", 1), current(), "the version in use stays");
    assertThrows(IllegalArgumentException.class, () -> model.onWeights(weights("policy", 3, "no-such-format", 10)),
        "an unknown format is not taken for whole weights");
  }
}
