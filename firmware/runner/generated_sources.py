"""PlatformIO extra script: compile the generated model (model_data.c/.h) into the app.

`toolkit deploy` writes the generated sources into a build directory and runs `pio run` with
TOOLKIT_GEN_DIR pointing at it (and PLATFORMIO_BUILD_DIR at a build tree of its own, so builds
of different models never mix). Without TOOLKIT_GEN_DIR this script does nothing (the kernel
test envs extend env:host and need no model).
"""
import os

Import("env")  # noqa: F821 (SCons)

gen = os.environ.get("TOOLKIT_GEN_DIR")
# What the firmware says about itself in INFO (firmware/runtime/info.c): the board and a build id.
for macro, var in (("PORT_BOARD", "TOOLKIT_BOARD"), ("FW_BUILD_ID", "TOOLKIT_BUILD_ID")):
    if os.environ.get(var):
        env.Append(CPPDEFINES=[(macro, env.StringifyMacro(os.environ[var]))])  # noqa: F821
# The serial link's rate on a board (boards/<name>.toml: uart_baud).
if os.environ.get("TOOLKIT_UART_BAUD"):
    env.Append(CPPDEFINES=[("PORT_UART_BAUD", os.environ["TOOLKIT_UART_BAUD"] + "u")])  # noqa: F821
if gen:
    env.Append(CPPPATH=[gen])  # noqa: F821
    # Kernel specialisations for this model (toolkit/codegen/specialise.py)
    if os.path.exists(os.path.join(gen, "eng_specialise.h")):
        env.Append(CPPDEFINES=["ENG_HAVE_SPECIALISE"])  # noqa: F821
    env.BuildSources(os.path.join("$BUILD_DIR", "generated"), gen)  # noqa: F821
