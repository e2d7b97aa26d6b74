package io.alignstream.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code config.json} of each family as Hugging Face publishes it (the keys of SmolLM2-135M,
 * Llama-3.2-1B-Instruct, Qwen2.5-0.5B and Qwen3-0.6B) reads into the shape it describes, writes back to
 * an equal configuration, and a setting this implementation does not compute is refused by name.
 */
class LlamaConfigTest {
  static final String SMOLLM2 = """
      {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
       "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "silu", "hidden_size": 576,
       "initializer_range": 0.041666666666666664, "intermediate_size": 1536, "is_llama_config": true,
       "max_position_embeddings": 8192, "model_type": "llama", "num_attention_heads": 9, "num_hidden_layers": 30,
       "num_key_value_heads": 3, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_interleaved": false,
       "rope_scaling": null, "rope_theta": 100000, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
       "transformers_version": "4.40.1", "use_cache": true, "vocab_size": 49152}""";
  static final String LLAMA32 = """
      {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
       "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "head_dim": 64, "hidden_act": "silu",
       "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 131072,
       "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16,
       "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
       "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
         "original_max_position_embeddings": 8192, "rope_type": "llama3"},
       "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "vocab_size": 128256}""";
  static final String QWEN25 = """
      {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
       "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
       "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24, "model_type": "qwen2",
       "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
       "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
       "use_cache": true, "use_sliding_window": false, "vocab_size": 151936}""";
  static final String QWEN3 = """
      {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
       "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 1024,
       "initializer_range": 0.02, "intermediate_size": 3072, "max_position_embeddings": 40960,
       "max_window_layers": 28, "model_type": "qwen3", "num_attention_heads": 16, "num_hidden_layers": 28,
       "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000,
       "sliding_window": null, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "use_cache": true,
       "use_sliding_window": false, "vocab_size": 151936}""";

  @Test
  void smolLm2ReadsAsItsPreset() {
    LlamaConfig c = (LlamaConfig) ModelConfig.fromJson(SMOLLM2);
    assertEquals(LlamaConfig.Family.LLAMA, c.family());
    assertEquals(64, c.headDim());
    assertEquals(3, c.groupSize());
    assertTrue(c.tiedEmbeddings());
    assertNull(c.ropeScaling());
    assertFalse(c.qkvBias() || c.outputBias() || c.qkNorm());
    // The preset differs only in its special tokens (the instruct model's bos 1 and eos 2).
    LlamaConfig preset = LlamaConfig.smolLm2();
    assertEquals(new LlamaConfig(c.family(), c.vocabSize(), c.contextLength(), c.width(), c.intermediateSize(),
        c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(), null, true, false, 1,
        List.of(2)), preset);
    assertEquals(134_515_008L, c.parameterCount());
  }

  @Test
  void llama3ReadsItsRopeScalingAndItsEndTokens() {
    LlamaConfig c = (LlamaConfig) ModelConfig.fromJson(LLAMA32);
    assertEquals(new LlamaConfig.RopeScaling(32, 1, 4, 8192), c.ropeScaling());
    assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
    assertEquals(128001, c.eosTokenId());
    assertTrue(c.isEnd(128009) && c.isEnd(128008) && !c.isEnd(128000));
    assertEquals(4, c.groupSize());
  }

  @Test
  void qwenVariantsHaveTheirBiasesAndNorms() {
    LlamaConfig q2 = (LlamaConfig) ModelConfig.fromJson(QWEN25);
    assertEquals(LlamaConfig.Family.QWEN2, q2.family());
    assertTrue(q2.qkvBias());
    assertFalse(q2.outputBias() || q2.qkNorm());
    assertEquals(64, q2.headDim());
    assertEquals(151643, q2.bosTokenId());
    LlamaConfig q3 = (LlamaConfig) ModelConfig.fromJson(QWEN3);
    assertTrue(q3.qkNorm());
    assertFalse(q3.qkvBias());
    assertEquals(128, q3.headDim(), "head_dim as given, not hidden_size / heads");
    assertEquals(40960, q3.contextLength());
  }

  @Test
  void everyFamilyWritesWhatItReads() {
    for (String json : List.of(SMOLLM2, LLAMA32, QWEN25, QWEN3)) {
      ModelConfig c = ModelConfig.fromJson(json);
      assertInstanceOf(LlamaConfig.class, c);
      assertEquals(c, ModelConfig.fromJson(c.toJson()), json);
    }
  }

  @Test
  void theArchitectureNamesTheFamilyWhenModelTypeIsMissing() {
    String noType = QWEN3.replace("\"model_type\": \"qwen3\",", "");
    assertEquals(LlamaConfig.Family.QWEN3, ((LlamaConfig) ModelConfig.fromJson(noType)).family());
  }

  @Test
  void transformersFiveRopeParametersAreRead() {
    String v5 = LLAMA32.replace("\"rope_scaling\": {", "\"rope_parameters\": {\"rope_theta\": 250000.0, ")
        .replace("\"rope_theta\": 500000.0, ", "");
    LlamaConfig c = (LlamaConfig) ModelConfig.fromJson(v5);
    assertEquals(250000.0, c.ropeTheta());
    assertEquals(32, c.ropeScaling().factor());
  }

  @Test
  void whatIsNotComputedIsRefusedByName() {
    assertRefused(QWEN25.replace("\"use_sliding_window\": false", "\"use_sliding_window\": true"), "use_sliding_window");
    assertRefused(LLAMA32.replace("\"rope_type\": \"llama3\"", "\"rope_type\": \"yarn\""), "yarn");
    assertRefused(SMOLLM2.replace("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\""), "hidden_act");
    assertRefused(LLAMA32.replace("\"mlp_bias\": false", "\"mlp_bias\": true"), "mlp_bias");
    assertRefused(SMOLLM2.replace("\"num_key_value_heads\": 3", "\"num_key_value_heads\": 4"), "num_key_value_heads");
    assertRefused(SMOLLM2.replace("\"model_type\": \"llama\"", "\"model_type\": \"mistral\""), "mistral");
    assertRefused(SMOLLM2.replace("\"eos_token_id\": 0", "\"eos_token_id\": 49152"), "eos_token_id");
  }

  private static void assertRefused(String json, String what) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json));
    assertTrue(e.getMessage().contains(what), e.getMessage());
  }
}
