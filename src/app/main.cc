// sluice: one binary for every command. See src/README.md for the modules.
#include <malloc.h>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // Batches of a few MB are allocated and freed all the time; by default glibc hands such
  // blocks straight back to the kernel and faults them in again for the next batch.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  return sluice::RunCli(argc, argv);
}
