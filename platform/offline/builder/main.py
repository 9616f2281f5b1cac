"""SCons builder of the offline platform.

- env without `board` (or a board without build.cpu): host gcc, a native executable.
- board with build.cpu (boards/*.json): arm-none-eabi-gcc from the system, flags from the board
  (build.cpu, build.fpu, build.float_abi) plus the env's build_flags/link flags.
Targets: default = build the program; `exec` (host only) runs it with $PROGRAM_ARGS.
"""
from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig() if "BOARD" in env else None
cpu = board.get("build.cpu", "") if board else ""

if cpu:
    prefix = "arm-none-eabi-"
    mcu_flags = ["-mcpu=%s" % cpu, "-mthumb"]
    fpu = board.get("build.fpu", "")
    if fpu:
        mcu_flags += ["-mfpu=%s" % fpu, "-mfloat-abi=%s" % board.get("build.float_abi", "hard")]
    env.Replace(
        AR=prefix + "gcc-ar", AS=prefix + "gcc", CC=prefix + "gcc", CXX=prefix + "g++",
        GDB=prefix + "gdb", OBJCOPY=prefix + "objcopy", RANLIB=prefix + "gcc-ranlib",
        SIZETOOL=prefix + "size", LINK=prefix + "gcc", PROGSUFFIX=".elf",
        SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    )
    env.Append(ASFLAGS=mcu_flags, CCFLAGS=mcu_flags, LINKFLAGS=mcu_flags)
else:
    env.Replace(AR="ar", AS="gcc", CC="gcc", CXX="g++", OBJCOPY="objcopy", RANLIB="ranlib",
                SIZETOOL="size", LINK="gcc", PROGSUFFIX="")

# Driver options that matter at link time: PlatformIO files them under CCFLAGS only.
_flags = " ".join(env.GetProjectOption("build_flags", [])).split()
env.Append(LINKFLAGS=[f for f in _flags if f.startswith(("--specs=", "-fsanitize", "-fno-sanitize"))])

target_bin = env.BuildProgram()
if cpu:
    size = env.Alias("size", target_bin, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE"))
    AlwaysBuild(size)
    Default([target_bin])
else:
    run = env.VerboseAction("$SOURCE $PROGRAM_ARGS", "Executing $SOURCE")
    AlwaysBuild(env.Alias("exec", target_bin, run))
    AlwaysBuild(env.Alias("upload", target_bin, run))
    Default([target_bin])
