#!/usr/bin/env python3
"""The C library from Python, by ctypes alone (Tests/ServiceTests/CLibraryTests.swift).

usage: check.py LIBRARY SETTINGS_FILE: one check; prints the result's text, exit 0 when the
program may run, 1 when not, 2 when the client could not be made or the check failed.
"""
import ctypes
import sys


def main(library_path, settings_path):
    library = ctypes.CDLL(library_path)
    library.license_client_create.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    library.license_client_create.restype = ctypes.c_int
    library.license_check.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    library.license_check.restype = ctypes.c_int
    library.license_result_text.argtypes = [ctypes.c_void_p]
    library.license_result_text.restype = ctypes.c_char_p
    library.license_result_allows_running.argtypes = [ctypes.c_void_p]
    library.license_result_allows_running.restype = ctypes.c_int
    library.license_result_free.argtypes = [ctypes.c_void_p]
    library.license_client_free.argtypes = [ctypes.c_void_p]
    library.license_last_error.restype = ctypes.c_char_p

    with open(settings_path, "rb") as file:
        settings = file.read()
    client = ctypes.c_void_p()
    if library.license_client_create(settings, ctypes.byref(client)) != 0:
        print("error:", library.license_last_error().decode())
        return 2
    result = ctypes.c_void_p()
    if library.license_check(client, ctypes.byref(result)) != 0:
        print("error:", library.license_last_error().decode())
        library.license_client_free(client)
        return 2
    print(library.license_result_text(result).decode())
    allowed = library.license_result_allows_running(result)
    library.license_result_free(result)
    library.license_client_free(client)
    return 0 if allowed else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
