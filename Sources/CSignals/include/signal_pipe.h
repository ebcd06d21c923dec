#ifndef JESTRY_SIGNAL_PIPE_H
#define JESTRY_SIGNAL_PIPE_H

/// Installs a handler for each of `count` signal `numbers` that writes the signal's number as one byte to
/// `write_end` (the self-pipe trick): the handler is in place when this returns, so no signal sent after it is lost,
/// and the reading side runs ordinary code. Returns 0, or -1 with errno set.
int jestry_forward_signals(int write_end, const int *numbers, int count);

#endif
