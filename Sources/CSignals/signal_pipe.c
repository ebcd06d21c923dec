#include "signal_pipe.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile int pipe_write_end = -1;

// Only async-signal-safe calls: write(2), and errno kept for the interrupted code.
static void forward_signal(int number) {
    int saved = errno;
    unsigned char byte = (unsigned char)number;
    ssize_t written = write(pipe_write_end, &byte, 1);
    (void)written;
    errno = saved;
}

int jestry_forward_signals(int write_end, const int *numbers, int count) {
    pipe_write_end = write_end;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = forward_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(numbers[i], &action, NULL) != 0) return -1;
    }
    return 0;
}
