"""Administration: the console's administrators (`accounts`, one legal entity each) and their
server-side sessions (`sessions`). The console's HTTP face is `apps.admin`."""
