/* The firmware application: the generated model behind the serial protocol. Everything here is
 * portable; the board is firmware/port/<port>/. */
#include "server.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    server_run();
}
