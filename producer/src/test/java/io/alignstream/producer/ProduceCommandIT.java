package io.alignstream.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.DeadLetters;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.KafkaFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The produce command end to end: formats, unreadable lines, re-runs, and --follow. */
@ExtendWith(KafkaFixture.class)
class ProduceCommandIT {
  @TempDir
  Path dir;

  private static String[] args(KafkaConnection kafka, Topics topics, String... more) {
    // --ingest: no ingest service runs beside these tests, so each command runs the topology itself.
    var all = new java.util.ArrayList<>(List.of("--bootstrap", kafka.bootstrapServers(), "--run", topics.runId(),
        "--wait", "60s", "--ingest"));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  @Test
  void mixedFormatsInADirectoryThenTheSameAgain(KafkaConnection kafka, Topics topics) throws Exception {
    // Given a directory with one file per format, and lines that are not demonstrations at all
    Path d = Files.createDirectory(dir.resolve("demos"));
    Files.writeString(d.resolve("1-plain.jsonl"), """
        {"prompt": "what is 7 plus 5 ?", "response": "7 plus 5 is 12 ."}
        {"prompt": "list two colors .", "response": "red , blue ."}
        """);
    Files.writeString(d.resolve("2-hh.jsonl"), """
        {"prompt": "How do I bake bread? Assistant: ", "label": "Mix flour, water, yeast and salt."}
        {"prompt": "Empty answer? Assistant: ", "label": ""}
        """);
    Files.writeString(d.resolve("3-conversation.jsonl"),
        "{\"chosen\": \"\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: 2+2?\\n\\nAssistant: 4.\"}\n"
            + "not a demonstration\n");
    Files.write(d.resolve("4-bytes.jsonl"), new byte[] {(byte) 0xC3, (byte) 0x28, '\n'}, StandardOpenOption.CREATE);

    // When it is produced
    var out = new StringWriter();
    var command = new ProduceCommand();
    var cli = new CommandLine(command);
    cli.setOut(new PrintWriter(out));
    int exit = cli.execute(args(kafka, topics, d.toString()));

    // Then 4 are accepted; the empty label and the two unreadable lines are rejected, and the summary says so
    assertEquals(0, exit, out.toString());
    assertEquals(new BatchVerdict.Counts(4, 0, 3), command.lastSummary.verdict());
    assertEquals(2, command.lastSummary.unreadable());
    assertTrue(out.toString().startsWith("sent 7: 4 accepted, 0 duplicates, 3 rejected (unchanged, with reasons, on "
        + topics.deadLetters.name() + ")"), out.toString());
    List<ConsumerRecord<String, Demonstration>> demos = Await.records(kafka, topics.demonstrations, 4, Duration.ofSeconds(30));
    Demonstration conversation = demos.stream().map(ConsumerRecord::value)
        .filter(v -> v.getResponse().equals("4.")).findFirst().orElseThrow();
    assertEquals("Human: Hi\n\nAssistant: Hello!\n\nHuman: 2+2?\n\nAssistant:", conversation.getPrompt());
    assertEquals(d.resolve("3-conversation.jsonl") + ":1", conversation.getSource());
    var dead = Await.records(kafka, topics.deadLetters, 3, Duration.ofSeconds(30));
    assertEquals(List.of("empty-field", "not-json", "bad-utf8"),
        dead.stream().map(r -> IngestTopology.header(r.headers(), DeadLetters.REASON).orElseThrow()).toList());
    assertEquals("not a demonstration", new String(dead.get(1).value(), StandardCharsets.UTF_8), "sent as it was");

    // When the same directory is produced again, Then nothing new: all duplicates, the same rejects
    var again = new ProduceCommand();
    assertEquals(0, new CommandLine(again).execute(args(kafka, topics, d.toString())));
    assertEquals(new BatchVerdict.Counts(0, 4, 3), again.lastSummary.verdict());
    assertEquals(4, io.alignstream.testkit.TopicReader.readCommitted(kafka, topics.demonstrations).size());
  }

  @Test
  void linesTooLargeToStoreAreCountedAndTheRestGoOn(KafkaConnection kafka, Topics topics) throws Exception {
    // Given a file with a 2 MB and a 10 MB line between valid ones
    Path file = dir.resolve("big.jsonl");
    Files.writeString(file, "{\"prompt\": \"first ?\", \"response\": \"first .\"}\n"
        + "{\"prompt\": \"" + "x".repeat(2 << 20) + "\", \"response\": \"two megabytes\"}\n"
        + "{\"prompt\": \"" + "y".repeat(10 << 20) + "\", \"response\": \"ten megabytes\"}\n"
        + "{\"prompt\": \"last ?\", \"response\": \"last .\"}\n");

    // When it is produced
    var out = new StringWriter();
    var command = new ProduceCommand();
    var cli = new CommandLine(command);
    cli.setOut(new PrintWriter(out));
    int exit = cli.execute(args(kafka, topics, file.toString()));

    // Then the large lines are counted and named in the summary, and the others still arrive
    assertEquals(0, exit, out.toString());
    assertEquals(2, command.lastSummary.tooLarge());
    assertEquals(2, command.lastSummary.sent());
    assertEquals(new BatchVerdict.Counts(2, 0, 0), command.lastSummary.verdict());
    assertTrue(out.toString().contains("2 lines were larger than the raw topic takes"), out.toString());
  }

  @Test
  void followStreamsAppendedDemonstrationsUntilStopped(KafkaConnection kafka, Topics topics) throws Exception {
    Path file = dir.resolve("live.jsonl");
    Files.writeString(file, "{\"prompt\": \"a ?\", \"response\": \"a .\"}\n");
    var command = new ProduceCommand();
    var exit = new AtomicInteger(-1);
    Thread run = new Thread(() -> exit.set(new CommandLine(command).execute(args(kafka, topics, "--follow", file.toString()))));
    run.start();
    Await.records(kafka, topics.demonstrations, 1, Duration.ofSeconds(60));

    // When lines are appended while it runs
    Files.writeString(file, "{\"prompt\": \"b ?\", \"response\": \"b .\"}\n{\"prompt\": \"c ?\", \"response\": \"c .\"}\n",
        StandardOpenOption.APPEND);

    // Then they stream in, and stopping (as Ctrl-C does) reports on everything sent
    Await.records(kafka, topics.demonstrations, 3, Duration.ofSeconds(30));
    command.stop.set(true);
    run.join(60_000);
    assertEquals(0, exit.get());
    assertEquals(new BatchVerdict.Counts(3, 0, 0), command.lastSummary.verdict());
  }

  @Test
  void theBuiltinTaskDemonstrationsArriveIntactAndAllPassTheJudge(KafkaConnection kafka, Topics topics) throws Exception {
    var command = new ProduceCommand();
    assertEquals(0, new CommandLine(command).execute(args(kafka, topics, "--builtin-task", "--task-demonstrations", "60")));
    assertEquals(new BatchVerdict.Counts(60, 0, 0), command.lastSummary.verdict());
    List<ConsumerRecord<String, Demonstration>> demos = Await.records(kafka, topics.demonstrations, 60, Duration.ofSeconds(30));
    for (var r : demos) {
      assertTrue(io.alignstream.task.GoldenJudge.judge(r.value().getPrompt(), r.value().getResponse()).success(), r.value().toString());
      assertTrue(r.value().getSource().startsWith("builtin-task:seed=42:"), r.value().getSource());
    }
  }
}
