package io.alignstream.sampler;

import io.alignstream.model.Policy;
import io.alignstream.model.Sample;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.TokenIds;
import io.alignstream.schemas.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sampler's transform, apart from any Kafka client so tests call it directly: one batch of prompt
 * records becomes K {@link Generation}s per prompt from <em>one</em> generate call (prompts × K rows),
 * so every generation of the batch names the same policy version.
 *
 * <p>Corrupt input never throws: undecodable records and prompts that do not fit the context with
 * {@code maxNewTokens} are reported in the {@link Outcome} and dead-lettered ({@link DeadLetters}, in
 * the batch's transaction, so exactly once), and their offsets are committed with the batch. Stateless
 * apart from its configuration; thread-confined by use.
 */
final class BatchSampler {
  private static final Logger log = LoggerFactory.getLogger(BatchSampler.class);
  /** Dead-letter reason of a record that is not a prompt. */
  static final String UNDECODABLE = "undecodable-prompt";
  /** Dead-letter reason of a prompt that leaves no room for the response in the context. */
  static final String TOO_LONG = "prompt-too-long";

  /**
   * What one batch did.
   *
   * @param version policy version that generated it (-1 when nothing was generated)
   * @param prompts prompts answered
   * @param rows generations made (prompts × K)
   * @param tokens response tokens generated, EOS included
   * @param nanos time spent in the generate call
   * @param undecodable records that were not prompts, as {@code topic-partition@offset}
   * @param tooLong prompts skipped for length, as {@code promptId/round (n tokens)}
   * @param setAside per partition, the records of both kinds, dead-lettered in the batch's transaction
   */
  record Outcome(long version, int prompts, int rows, long tokens, long nanos, List<String> undecodable,
      List<String> tooLong, Map<TopicPartition, Long> setAside) {}

  /** The records to send for a batch, and its outcome. */
  record Result(List<ProducerRecord<byte[], byte[]>> records, Outcome outcome) {}

  private final SamplerConfig config;
  private final Topics topics;

  BatchSampler(SamplerConfig config) {
    this.config = config;
    this.topics = config.topics();
  }

  /** Samples K responses for every usable prompt of {@code batch} with {@code policy} in one generate call. */
  Result sample(List<ConsumerRecord<byte[], byte[]>> batch, Policy policy, Tokenizer tokenizer) {
    int context = policy.config().contextLength();
    SamplingConfig sampling = config.sampling();
    List<Prompt> accepted = new ArrayList<>();
    List<long[]> promptIds = new ArrayList<>();
    List<String> undecodable = new ArrayList<>();
    List<String> tooLong = new ArrayList<>();
    // Nothing is lost: what cannot be sampled goes, unchanged and with the reason, to the dead letters.
    List<ProducerRecord<byte[], byte[]>> dead = new ArrayList<>();
    Map<TopicPartition, Long> setAside = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : batch) {
      String where = record.topic() + "-" + record.partition() + "@" + record.offset();
      Prompt prompt = decode(record, where);
      if (prompt == null) {
        undecodable.add(where);
        dead.add(DeadLetters.of(topics, record, UNDECODABLE, "not a Prompt record (null, or not its Avro encoding)"));
        setAside.merge(new TopicPartition(record.topic(), record.partition()), 1L, Long::sum);
        continue;
      }
      long[] ids = tokenizer.encode(prompt.getText());
      if (ids.length == 0) {
        ids = new long[] {policy.config().bosTokenId()}; // generation needs a first token
      }
      if (ids.length + sampling.maxNewTokens() > context) {
        log.warn("prompt {} round {} at {} has {} tokens: with {} new tokens it exceeds the context of {}; skipped",
            prompt.getPromptId(), prompt.getRound(), where, ids.length, sampling.maxNewTokens(), context);
        tooLong.add(prompt.getPromptId() + "/" + prompt.getRound() + " (" + ids.length + " tokens)");
        dead.add(DeadLetters.of(topics, record, TOO_LONG, ids.length + " prompt tokens + " + sampling.maxNewTokens()
            + " new tokens exceed the policy's context of " + context));
        setAside.merge(new TopicPartition(record.topic(), record.partition()), 1L, Long::sum);
        continue;
      }
      accepted.add(prompt);
      promptIds.add(ids);
    }
    if (accepted.isEmpty()) {
      return new Result(dead, new Outcome(-1, 0, 0, 0, 0, undecodable, tooLong, setAside));
    }
    int k = config.samplesPerPrompt();
    List<long[]> rows = new ArrayList<>(accepted.size() * k); // (prompts × K) rows, prompt-major
    List<SamplingConfig> how = new ArrayList<>(accepted.size() * k);
    for (long[] ids : promptIds) {
      for (int i = 0; i < k; i++) {
        rows.add(ids);
        how.add(config.samplingOf(i));
      }
    }
    long t0 = System.nanoTime();
    List<Sample> samples = policy.generate(rows, how, SampleSeeds.forBatch(config.seed(), accepted));
    long nanos = System.nanoTime() - t0;
    long now = System.currentTimeMillis();
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(rows.size() + dead.size());
    out.addAll(dead);
    long tokens = 0;
    for (int p = 0; p < accepted.size(); p++) {
      Prompt prompt = accepted.get(p);
      for (int i = 0; i < k; i++) {
        Sample s = samples.get(p * k + i);
        tokens += s.responseIds().length;
        out.add(topics.generations.record(prompt.getPromptId(), toGeneration(prompt, promptIds.get(p), s, i, tokenizer, now)));
      }
    }
    // One generate call holds the policy's read lock throughout, so every sample names the same version.
    long version = samples.get(0).policyVersion();
    return new Result(out, new Outcome(version, accepted.size(), rows.size(), tokens, nanos, undecodable, tooLong,
        setAside));
  }

  private Prompt decode(ConsumerRecord<byte[], byte[]> record, String where) {
    try {
      Prompt prompt = topics.prompts.value(record);
      if (prompt == null) {
        log.warn("empty prompt record at {} skipped", where);
      }
      return prompt;
    } catch (RuntimeException e) { // SerializationException, or an Avro error on a truncated record
      log.warn("undecodable prompt at {} skipped: {}", where, e.toString());
      return null;
    }
  }

  private Generation toGeneration(Prompt prompt, long[] promptIds, Sample s, int sampleIndex, Tokenizer tokenizer,
      long now) {
    List<Float> logProbs = new ArrayList<>(s.logProbs().length);
    for (float lp : s.logProbs()) {
      logProbs.add(lp);
    }
    SamplingConfig from = s.sampledFrom();
    return Generation.newBuilder()
        .setId(prompt.getPromptId() + "/" + prompt.getRound() + "/" + config.policyName() + "/" + sampleIndex)
        .setPromptId(prompt.getPromptId())
        .setRound(prompt.getRound())
        .setPrompt(prompt.getText())
        .setResponse(tokenizer.decode(s.textIds()))
        .setPromptTokenIds(TokenIds.toList(promptIds))
        .setResponseTokenIds(TokenIds.toList(s.responseIds()))
        .setLogProbs(logProbs)
        .setPolicyName(config.policyName())
        .setPolicyVersion(s.policyVersion())
        .setSampleIndex(sampleIndex)
        .setSamplerId(config.samplerId())
        .setTemperature((float) from.temperature())
        .setTopP((float) from.topP())
        .setTopK(from.topK())
        .setStoppedAtEos(s.stoppedAtEos())
        .setCreatedAtMs(now)
        .build();
  }
}
