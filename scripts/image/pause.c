/* The pod sandbox ("pause") process of the test node: PID 1 of each pod's shared namespaces.
 * It only waits: for SIGINT/SIGTERM, which end it, and for SIGCHLD, to reap any orphan the
 * kernel hands it (a PID 1 that never reaps fills the process table with zombies).
 * Built static (scripts/build-image), so the image holds this one file and nothing else. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int signal_number) {
  (void)signal_number;
  _exit(0);
}

static void reap(int signal_number) {
  (void)signal_number;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction action = {0};
  action.sa_handler = stop;
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);
  action.sa_handler = reap;
  action.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &action, NULL);
  for (;;) {
    pause();
  }
  return EXIT_SUCCESS;
}
