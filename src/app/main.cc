// sluice: one binary for every command. See src/README.md for the modules.
#include "cli/commands.h"

int main(int argc, char** argv) { return sluice::RunCli(argc, argv); }
