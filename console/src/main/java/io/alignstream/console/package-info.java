/** What a person sees in the terminal during long work: progress with counts, rate, ETA and live figures. */
package io.alignstream.console;
