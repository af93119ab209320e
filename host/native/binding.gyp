{
  "targets": [
    {
      "target_name": "podnet",
      "sources": ["podnet.c"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}
