from platformio.public import PlatformBase


class OfflinePlatform(PlatformBase):
    """No packages: the toolchains come from the system (apt), see builder/main.py."""
