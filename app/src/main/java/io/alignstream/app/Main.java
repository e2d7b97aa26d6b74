package io.alignstream.app;

import io.alignstream.learner.LearnerCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code alignstream} command. It only wires subcommands; each service's command lives in the
 * service's own module.
 */
@Command(
    name = "alignstream",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = {
        "Aligns language models from demonstrations, continuously, as a Kafka streaming system.%n",
        "Without --bootstrap, a command uses the broker already listening on 127.0.0.1:9092 "
            + "(see 'alignstream broker') or starts an embedded one with its data in .alignstream/kafka.%n"},
    subcommands = {
        DemoCommand.class,
        AlignCommand.class,
        ReplayCommand.class,
        ExportCommand.class,
        VersionCommand.class,
        CommandLine.HelpCommand.class,
    })
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code; tests call this instead of {@link #main}. */
  public static int run(String... args) {
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    CommandLine cli = commandLine();
    return cli.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    Subcommands.register(cli);
    // Their descriptions end in "Recipe keys:", which the learner's list of keys and defaults completes.
    LearnerCommand.withRecipeHelp(cli.getSubcommands().get("align"));
    LearnerCommand.withRecipeHelp(cli.getSubcommands().get("replay"));
    cli.setExecutionExceptionHandler(Main::oneLineError);
    cli.setParameterExceptionHandler(Main::badInput);
    return cli;
  }

  /**
   * Bad input on the command line is one line: what is wrong, and where the right form is. The full
   * usage picocli prints by default buried the error under a screen of options.
   */
  private static int badInput(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String name = cmd.getCommandSpec().qualifiedName();
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
    if (e.getCause() instanceof IllegalArgumentException refused && !(refused instanceof NumberFormatException)
        && refused.getMessage() != null && e.getArgSpec() != null) {
      // A converter refused the value and said why; picocli's wrapping adds only an exception class name.
      message = "Invalid value for " + (e.getArgSpec() instanceof CommandLine.Model.OptionSpec o
          ? "option '" + o.longestName() + "'" : "parameter " + e.getArgSpec().paramLabel()) + ": " + refused.getMessage();
    }
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
      message += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
    }
    PrintWriter err = cmd.getErr();
    err.println(cmd.getColorScheme().errorText(name + ": " + message.replace('\n', ' ')
        + " (see '" + name + " --help')"));
    err.flush();
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  /**
   * A failure is one clear line, not a stack trace; {@code ALIGNSTREAM_DEBUG=1} shows the trace. An
   * {@link IllegalArgumentException} is bad input a config record refused, and its message says how to
   * fix it: no hint about traces follows it.
   */
  private static int oneLineError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    Throwable root = e;
    while (root.getCause() != null && root.getMessage() == null) {
      root = root.getCause();
    }
    String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    err.println(cmd.getColorScheme().errorText(cmd.getCommandSpec().qualifiedName() + ": " + message));
    if (System.getenv("ALIGNSTREAM_DEBUG") != null) {
      e.printStackTrace(err);
    } else if (!(e instanceof IllegalArgumentException)) {
      err.println("(set ALIGNSTREAM_DEBUG=1 for the stack trace)");
    }
    err.flush();
    return 1;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
