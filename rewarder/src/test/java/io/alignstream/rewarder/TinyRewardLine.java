package io.alignstream.rewarder;

import io.alignstream.model.ModelConfig;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A tiny reward line for tests, shaped like the learner's: a word-level tokenizer, a one-layer GPT
 * with a 32-token context, and 2-member ensembles with random heads, as {@code weightsToBytes} payloads.
 */
final class TinyRewardLine implements AutoCloseable {
  static final String CORPUS = "the cat sat on the mat . a dog ran to the park and the bird sang in a tree ; "
      + "what did the cat see ? the dog saw a bird , then the sun rose over the hill";
  static final int MEMBERS = 2;

  final Path dir;
  final Tokenizer tokenizer;
  final Gpt2Config config;
  final String configJson;
  final String tokenizerJson;

  TinyRewardLine() throws IOException {
    dir = Files.createTempDirectory("rewarder-test-");
    Path tokenizerFile = new WordLevelTokenizerBuilder(64).add(CORPUS).write(dir.resolve(Tokenizer.FILE_NAME));
    tokenizer = Tokenizer.load(tokenizerFile);
    config = new Gpt2Config(tokenizer.vocabSize(), 32, 32, 1, 2, 1e-5, tokenizer.eosId(), tokenizer.eosId());
    config.write(dir.resolve(ModelConfig.FILE_NAME));
    configJson = Files.readString(dir.resolve(ModelConfig.FILE_NAME));
    tokenizerJson = Files.readString(tokenizerFile);
  }

  /** The config.json of another shape, as a manifest carries it. */
  String configJson(Gpt2Config other) throws IOException {
    Path file = dir.resolve("other-" + ModelConfig.FILE_NAME);
    other.write(file);
    String json = Files.readString(file);
    Files.delete(file);
    return json;
  }

  /** A 2-member ensemble payload; different seeds give different backbones and heads. */
  byte[] payload(long seed) {
    try (Policy policy = Policy.create(config, seed);
        RewardEnsemble ensemble = RewardEnsemble.fromPolicy(policy, MEMBERS, seed, 0.5)) {
      return ensemble.weightsToBytes();
    }
  }

  /** The ensemble a payload decodes to, as the rewarder builds it; the caller closes it. */
  RewardEnsemble ensemble(byte[] payload, long version) {
    return RewardEnsemble.fromBytes(config, payload, version, 0);
  }

  /** A payload cut short: its checksum is fine once published, but the model refuses it. */
  static byte[] truncated(byte[] payload) {
    return Arrays.copyOf(payload, payload.length - 17);
  }

  PublishedWeights weights(long version, byte[] payload) {
    return weights(ModelLines.REWARD, version, payload, configJson);
  }

  PublishedWeights weights(String line, long version, byte[] payload, String configJson) {
    return manifest(line, version, PublishedWeights.FULL, payload, configJson, Map.of("members",
        Integer.toString(MEMBERS)));
  }

  /** π_0's whole weights on the base line, as the learner publishes them at v0. */
  PublishedWeights base(Policy pi0) {
    return manifest(ModelLines.BASE, 0, PublishedWeights.FULL, pi0.weightsToBytes(), configJson,
        Map.of("stage", "base"));
  }

  /** A version of heads alone over the base, as the learner publishes them under a frozen backbone. */
  PublishedWeights heads(long version, byte[] payload, String headsConfigJson) {
    return manifest(ModelLines.REWARD, version, PublishedWeights.HEADS, payload, configJson, Map.of("members",
        Integer.toString(MEMBERS), PublishedWeights.ADAPTER_CONFIG, headsConfigJson, PublishedWeights.ADAPTER_BASE,
        ModelLines.BASE));
  }

  private PublishedWeights manifest(String line, long version, String format, byte[] payload, String configJson,
      Map<String, String> meta) {
    ModelVersion manifest = ModelVersion.newBuilder().setModelName(line).setVersion(version).setFormat(format)
        .setTotalBytes(payload.length).setChunkCount(1).setFirstChunkOffset(0).setSha256("")
        .setConfigJson(configJson).setTokenizerJson(tokenizerJson).setTrainedSamples(0).setCreatedAtMs(0)
        .setMetadata(meta).build();
    return new PublishedWeights(manifest, payload);
  }

  @Override
  public void close() throws IOException {
    tokenizer.close();
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(dir);
  }
}
