# The pyinfra-performance workload (user, log file mode 777, a copied file, an echo), for
# `pyinfra -y --sudo inventory.py deploy.py`.
import os

from pyinfra.operations import files, server

HERE = os.path.dirname(os.path.abspath(__file__))

server.user(name="user", user="pyinfra", home="/home/pyinfra", shell="/bin/bash")
files.file(name="log file", path="/var/log/pyinfra.log", user="pyinfra", mode="777")
files.put(name="copy", src=os.path.join(HERE, "test_file.txt"), dest="/home/pyinfra/test_file.txt", user="pyinfra")
server.shell(name="echo", commands=['echo "hi!"'])
