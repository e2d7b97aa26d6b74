package io.alignstream.task;

/** A prompt/response pair of the corpus or the demonstrations, labelled with how the response behaves. */
public record LabelledPair(String prompt, String response, Kind kind, Behaviour behaviour) {}
