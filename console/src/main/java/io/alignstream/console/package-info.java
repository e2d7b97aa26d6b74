/**
 * What a person sees in the terminal during long work: progress with counts, rate, ETA and live
 * figures, and a terminal kept apart from the log lines of the services a command runs.
 */
package io.alignstream.console;
