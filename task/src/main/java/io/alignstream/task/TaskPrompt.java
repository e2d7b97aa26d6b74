package io.alignstream.task;

/** A prompt's text, exactly as a model sees it, with what it asks. */
public record TaskPrompt(String text, Request request) {
  public Kind kind() {
    return request.kind();
  }
}
