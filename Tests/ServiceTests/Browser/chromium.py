#!/usr/bin/python3
"""Loads pages in a real headless Chromium (Debian's chromium, chromium-driver, python3-selenium)
and prints one JSON line per page: the URL, its title, the text of the element the page fills in
when it is done (`--result`, waited for until it has `data-done`; without it, the loaded page),
the value of a script run in the page (`--eval`, JSON), and the browser console's messages.

    chromium.py --result '#answer' --screenshots DIR URL...
    chromium.py --header 'Authorization: Basic …' --eval 'return document.title' --screenshots DIR URL...

Certificates are not verified (the stacks' are self-signed): what these tests look at is the page's
own checks, such as the license client's verification of License-Signature, not TLS's.
"""
import argparse
import json
import os
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def browser(profile, window):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={window}", "--no-first-run", f"--user-data-dir={profile}",
                     # *.localhost is loopback in Chromium already; said here so that it never asks DNS.
                     "--host-resolver-rules=MAP *.localhost 127.0.0.1"):
        options.add_argument(argument)
    options.accept_insecure_certs = True
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def load(driver, url, arguments):
    """Loads `url` and waits for it; its result text and the console's messages meanwhile."""
    driver.get(url)
    text = None
    try:
        if arguments.result:
            WebDriverWait(driver, arguments.timeout).until(
                lambda d: d.find_element(By.CSS_SELECTOR, arguments.result).get_attribute("data-done"))
            text = driver.find_element(By.CSS_SELECTOR, arguments.result).text
        else:
            WebDriverWait(driver, arguments.timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")
    except (TimeoutException, WebDriverException) as error:
        text = f"(no result: {type(error).__name__})"
    return text, [entry["message"] for entry in driver.get_log("browser")]


def network_changed(driver, console):
    """Whether the load (or a fetch of the page) failed because the network changed."""
    if any("ERR_NETWORK_CHANGED" in message for message in console):
        return True
    return driver.execute_script("return document.body !== null && document.body.classList.contains('neterror')"
                                 " && document.body.textContent.includes('ERR_NETWORK_CHANGED')")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--result", help="CSS selector of the element with the page's result")
    parser.add_argument("--eval", help="JavaScript run in each page once loaded; its return value is printed")
    parser.add_argument("--header", action="append", default=[], help="'Name: value' sent with every request")
    parser.add_argument("--screenshots", help="folder for one PNG per page (page-1.png, ...)")
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--window", default="1000,700", help="width,height of the window (and of the screenshots)")
    parser.add_argument("urls", nargs="+")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile, arguments.window)
        try:
            if arguments.header:
                # Through the DevTools protocol: WebDriver itself has no way to add a header.
                headers = dict(header.split(": ", 1) for header in arguments.header)
                driver.execute_cdp_cmd("Network.enable", {})
                driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": headers})
            for number, url in enumerate(arguments.urls, start=1):
                # Chromium abandons a load when this machine's network changes (other tests make and
                # remove network namespaces and links): such a load is made again, up to 5 times.
                for attempt in range(5):
                    text, console = load(driver, url, arguments)
                    if not network_changed(driver, console):
                        break
                    print(f"{url}: the network changed during the load; loading again", file=sys.stderr)
                evaluated = driver.execute_script(arguments.eval) if arguments.eval else None
                if arguments.screenshots:
                    os.makedirs(arguments.screenshots, exist_ok=True)
                    driver.save_screenshot(os.path.join(arguments.screenshots, f"page-{number}.png"))
                print(json.dumps({"url": url, "title": driver.title, "result": text, "eval": evaluated, "console": console}),
                      flush=True)
        finally:
            driver.quit()


if __name__ == "__main__":
    sys.exit(main())
