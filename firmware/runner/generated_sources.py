"""PlatformIO extra script: compile the generated model (model_data.c/.h) into the app.

`toolkit deploy` writes the generated sources into a build directory and runs `pio run` with
TOOLKIT_GEN_DIR pointing at it (and PLATFORMIO_BUILD_DIR at a build tree of its own, so builds
of different models never mix). Without TOOLKIT_GEN_DIR this script does nothing (the kernel
test envs extend env:host and need no model).
"""
import os

Import("env")  # noqa: F821 (SCons)

gen = os.environ.get("TOOLKIT_GEN_DIR")
if gen:
    env.Append(CPPPATH=[gen])  # noqa: F821
    env.BuildSources(os.path.join("$BUILD_DIR", "generated"), gen)  # noqa: F821
