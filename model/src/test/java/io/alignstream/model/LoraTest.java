package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.lora.LoraConfig;
import io.alignstream.model.lora.PeftFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** LoRA adapters on both families: frozen base, PEFT layout, merge at swap time. */
class LoraTest {
  static final Gpt2Config GPT2 = new Gpt2Config(20, 16, 16, 2, 2, 1e-5, 0, 1);
  static final List<Example> BATCH = TestData.randomExamples(6, 19, 1, 4);

  static Stream<Arguments> families() {
    return Stream.of(
        Arguments.of(GPT2, new LoraConfig(4, 8, 0, List.of("c_attn", "c_proj")), 3 * 2 * 2),
        Arguments.of(LlamaModelTest.CONFIG, new LoraConfig(4, 8, 0, List.of(LoraConfig.ALL_LINEAR)), 7 * 2 * 2),
        Arguments.of(LlamaModelTest.CONFIG, new LoraConfig(2, 4, 0, List.of("q_proj", "v_proj")), 2 * 2 * 2));
  }

  /** A few steps with a high learning rate, so that B is far from its zero start. */
  private static void train(Policy policy, int steps) {
    try (PolicyTrainer t = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(2e-2)))) {
      for (int i = 0; i < steps; i++) {
        t.sftStep(BATCH);
      }
    }
  }

  private static Map<String, float[]> base(Policy p) {
    return p.read(w -> {
      Map<String, float[]> out = new HashMap<>();
      w.arrays().forEach((n, a) -> {
        if (!Adapter.owns(n)) {
          out.put(n, a.toFloatArray());
        }
      });
      return out;
    });
  }

  /** Next-token logits of a full causal pass over {@code ids}: (seq, vocab) flattened. */
  static float[] logits(Policy p, long[] ids) {
    return p.read(w -> {
      try (NDManager m = p.root.newSubManager(); GradMode off = GradMode.off()) {
        NDArray x = m.create(ids, new Shape(1, ids.length));
        NDArray positions = m.arange(0, ids.length, 1, DataType.INT64).reshape(1, ids.length);
        Network.Pass pass = p.config().network().pass(w, m);
        return pass.logits(pass.hidden(x, positions, AttentionMask.causal(m, ids.length, w.dataType()), null))
            .toFloatArray();
      }
    });
  }

  @ParameterizedTest
  @MethodSource("families")
  void onlyTheAdapterTrainsAndTheBaseStaysBitForBit(ModelConfig config, LoraConfig lora, int tensors) {
    try (Policy plain = Policy.create(config, 3); Policy policy = plain.withAdapter(lora, 9)) {
      long[] ids = {2, 3, 4, 5, 6};
      assertArrayEquals(logits(plain, ids), logits(policy, ids), "B starts at zero: the adapted model is its base");
      Map<String, float[]> before = base(policy);
      AdamW optimizer = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(2e-2));
      try (PolicyTrainer t = new PolicyTrainer(policy, optimizer)) {
        double first = t.sftStep(BATCH).loss();
        double last = first;
        for (int i = 0; i < 15; i++) {
          last = t.sftStep(BATCH).loss();
        }
        assertTrue(last < first - 0.1, "the adapter learns: " + first + " -> " + last);
        assertEquals(2 * tensors, optimizer.liveArrays(), "optimiser moments for the adapter's tensors only");
      }
      Map<String, float[]> after = base(policy);
      assertEquals(before.keySet(), after.keySet());
      before.forEach((n, v) -> assertArrayEquals(v, after.get(n), 0f, n + " is frozen"));
      assertFalse(java.util.Arrays.equals(logits(plain, ids), logits(policy, ids)));
      policy.read(w -> {
        assertEquals(tensors, w.arrays().keySet().stream().filter(Adapter::owns).count());
        w.arrays().forEach((n, a) -> assertEquals(Adapter.owns(n), a.hasGradient(), n));
        return null;
      });
    }
  }

  @ParameterizedTest
  @MethodSource("families")
  void mergedLogitsEqualTheUnmergedAdapterForward(ModelConfig config, LoraConfig lora, int tensors) {
    try (Policy plain = Policy.create(config, 4); Policy policy = plain.withAdapter(lora, 10)) {
      train(policy, 5);
      long[] ids = {7, 3, 11, 5, 2, 9};
      float[] unmerged = logits(policy, ids);
      try (Policy merged = policy.merged();
          Policy served = Policy.adapted(plain, lora, policy.adapterToBytes(), 7)) {
        assertNull(merged.read(Weights::adapter));
        assertEquals(7, served.version());
        float[] a = logits(merged, ids);
        float[] b = logits(served, ids);
        for (int i = 0; i < unmerged.length; i++) {
          assertEquals(unmerged[i], a[i], 1e-5, "merged logit " + i);
          assertEquals(a[i], b[i], 0f, "served over the shared base = merged copy, logit " + i);
        }
        assertArrayEquals(merged.weightsToBytes(), policy.weightsToBytes(), "weightsToBytes merges the adapter");
        // Decoding: libtorch runs the adapter's branch, the JVM the merged weights; greedy tokens agree.
        SamplingConfig greedy = new SamplingConfig(1.0, 1.0, 0, 8, false);
        List<long[]> prompts = List.of(new long[] {2, 3}, new long[] {4});
        String previous = System.getProperty(Policy.DECODER_PROPERTY);
        try {
          System.setProperty(Policy.DECODER_PROPERTY, "torch");
          var viaTorch = policy.generate(prompts, greedy, 1);
          var servedTorch = served.generate(prompts, greedy, 1);
          for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(viaTorch.get(i).responseIds(), servedTorch.get(i).responseIds());
            assertArrayEquals(viaTorch.get(i).logProbs(), servedTorch.get(i).logProbs(), 1e-4f);
          }
        } finally {
          if (previous == null) {
            System.clearProperty(Policy.DECODER_PROPERTY);
          } else {
            System.setProperty(Policy.DECODER_PROPERTY, previous);
          }
        }
      }
      // The served copy shared the base's untargeted tensors and closed only its own: the base still works.
      assertEquals(ids.length * config.vocabSize(), logits(plain, ids).length);
    }
  }

  @ParameterizedTest
  @MethodSource("families")
  void thePeftLayoutRoundTrips(ModelConfig config, LoraConfig lora, int tensors, @TempDir Path dir) throws Exception {
    try (Policy plain = Policy.create(config, 5); Policy policy = plain.withAdapter(lora, 11)) {
      train(policy, 3);
      policy.save(dir);
      assertTrue(PeftFiles.present(dir));
      JsonNode json = new ObjectMapper().readTree(dir.resolve(PeftFiles.CONFIG_FILE).toFile());
      assertEquals("LORA", json.get("peft_type").asText());
      assertEquals(lora.rank(), json.get("r").asInt());
      assertEquals(lora.alpha(), json.get("lora_alpha").asDouble());
      assertEquals(config instanceof Gpt2Config, json.get("fan_in_fan_out").asBoolean());
      String header = new String(Files.readAllBytes(dir.resolve(PeftFiles.WEIGHTS_FILE)), java.nio.charset.StandardCharsets.ISO_8859_1);
      String module = config instanceof Gpt2Config ? "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"
          : "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";
      assertTrue(header.contains(module), "PEFT tensor names, e.g. " + module);
      assertFalse(new String(Files.readAllBytes(dir.resolve("model.safetensors")), java.nio.charset.StandardCharsets.ISO_8859_1)
          .contains("lora_"), "the base file holds no adapter tensor");
      try (Policy loaded = Policy.load(dir)) {
        assertEquals(policy.lora().rank(), loaded.lora().rank());
        assertArrayEquals(policy.adapterToBytes(), loaded.adapterToBytes());
        assertArrayEquals(policy.adapterToBytes(), Policy.savedAdapterToBytes(dir));
        assertArrayEquals(logits(policy, new long[] {3, 4}), logits(loaded, new long[] {3, 4}), 0f);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("families")
  void adaptersThatDoNotFitAreRefusedWithTheReason(ModelConfig config, LoraConfig lora, int tensors) {
    try (Policy plain = Policy.create(config, 6); Policy policy = plain.withAdapter(lora, 12)) {
      byte[] adapter = policy.adapterToBytes();
      LoraConfig otherRank = new LoraConfig(lora.rank() + 1, lora.alpha(), 0, lora.targets());
      var e = assertThrows(IllegalArgumentException.class, () -> Policy.adapted(plain, otherRank, adapter, 1));
      assertTrue(e.getMessage().contains("shape"), e.getMessage());
      var none = assertThrows(IllegalArgumentException.class,
          () -> plain.withAdapter(new LoraConfig(2, 4, 0, List.of("no_such_proj")), 1));
      assertTrue(none.getMessage().contains("match no layer"), none.getMessage());
      assertThrows(IllegalArgumentException.class, () -> Policy.adapted(policy, lora, adapter, 1),
          "an adapted policy is no base");
    }
  }

  /** The acceptance bound by arithmetic (BENCHMARKS.md has it measured through Kafka): adapters of real shapes. */
  @org.junit.jupiter.api.Test
  void anAdapterIsAFewPercentOfItsModel() {
    for (ModelConfig shape : List.of(io.alignstream.model.llama.LlamaConfig.smolLm2(), new Gpt2Config(50257, 1024, 768, 12, 12, 1e-5, 0, 50256))) {
      long full = shape.network().spec().values().stream().mapToLong(Shape::size).sum();
      long all = Adapter.of(new LoraConfig(8, 16, 0, List.of(LoraConfig.ALL_LINEAR)), shape.network()).spec().values()
          .stream().mapToLong(Shape::size).sum();
      assertTrue(all < 0.05 * full, shape + ": rank-8 adapter on every linear layer is " + all + " of " + full);
    }
  }

  @ParameterizedTest
  @MethodSource("families")
  void dropoutIsSeededAndOnlyWhileTraining(ModelConfig config, LoraConfig lora, int tensors) {
    LoraConfig dropping = new LoraConfig(lora.rank(), lora.alpha(), 0.3, lora.targets());
    byte[][] runs = new byte[2][];
    for (int run = 0; run < 2; run++) {
      try (Policy plain = Policy.create(config, 7); Policy policy = plain.withAdapter(dropping, 13)) {
        train(policy, 4);
        runs[run] = policy.adapterToBytes();
        long[] ids = {3, 4, 5};
        assertArrayEquals(logits(policy, ids), logits(policy, ids), 0f, "no dropout when scoring");
      }
    }
    assertArrayEquals(runs[0], runs[1], "the same seed draws the same masks");
    try (Policy plain = Policy.create(config, 7); Policy policy = plain.withAdapter(lora, 13)) {
      train(policy, 4);
      assertFalse(java.util.Arrays.equals(runs[0], policy.adapterToBytes()), "dropout changed the training");
    }
  }
}
