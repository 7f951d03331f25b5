#!/usr/bin/python3
"""Drives the binding page (SPEC §13, GET /bind) in a real headless Chromium as a person would:
types or chooses the key, types a system ID, presses Bind or Unbind, and reads the answer. Prints
one JSON line per step (the headline, the "N of M bound" line, the explanation, the browser
console's messages) and saves a screenshot of each answer (step-1.png, ...).

    bind_page.py --url https://localhost:PORT/bind --key-file KEY.txt --screenshots DIR \
        bind:Eth_1 bind:Eth_2 file-bind:Eth_3 unbind:Eth_1 ...

A step is ACTION:SYSTEM, ACTION bind or unbind; file-bind and file-unbind choose the key file
instead of pasting the key.
"""
import argparse
import json
import os
import sys
import tempfile

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chromium import browser, network_changed  # noqa: E402


def text_of(driver, element_id):
    found = driver.find_elements(By.ID, element_id)
    return found[0].text if found else None


def submit(driver, step, key_line, arguments):
    """Fills the form for `step` and presses its button. The browser console's messages once the
    answer page is there, or None when no answer page came (a network change, a time-out)."""
    action, system = step.split(":", 1)
    key = driver.find_element(By.ID, "key")
    key.clear()
    if action.startswith("file-"):
        driver.find_element(By.ID, "keyfile").send_keys(os.path.abspath(arguments.key_file))
        action = action[len("file-"):]
    else:
        key.send_keys(key_line)
    field = driver.find_element(By.ID, "system")
    field.clear()
    field.send_keys(system)
    before = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, action).click()
    try:
        # The answer is a new page: the old one goes, and the new one has its headline.
        WebDriverWait(driver, arguments.timeout).until(expected_conditions.staleness_of(before))
        WebDriverWait(driver, arguments.timeout).until(lambda d: d.find_elements(By.ID, "headline"))
    except (TimeoutException, WebDriverException):
        return None
    # A network change's messages (of this attempt or one before) are the machine's, not the page's.
    console = [entry["message"] for entry in driver.get_log("browser") if "ERR_NETWORK_CHANGED" not in entry["message"]]
    return None if network_changed(driver, []) else console


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key-file", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("steps", nargs="+")
    arguments = parser.parse_args()
    with open(arguments.key_file, encoding="utf-8") as file:
        key_line = file.read().strip()
    os.makedirs(arguments.screenshots, exist_ok=True)

    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile, "1000,820")
        try:
            driver.get(arguments.url)
            for number, step in enumerate(arguments.steps, start=1):
                # Chromium abandons a post when this machine's network changes (other tests make and
                # remove network namespaces): the step is posted again from a fresh form, up to 5
                # times. Binding and unbinding are idempotent, so a post that did arrive answers
                # the same the second time.
                for attempt in range(5):
                    if attempt > 0:
                        driver.get(arguments.url)
                    console = submit(driver, step, key_line, arguments)
                    if console is not None:
                        break
                    print(f"step {step}: no answer page (attempt {attempt + 1}); posting it again", file=sys.stderr)
                driver.save_screenshot(os.path.join(arguments.screenshots, f"step-{number}.png"))
                print(json.dumps({"step": step, "headline": text_of(driver, "headline"), "count": text_of(driver, "bound-count"),
                                  "explanation": text_of(driver, "explanation"), "license": text_of(driver, "license"),
                                  "url": driver.current_url, "console": console}), flush=True)
        finally:
            driver.quit()


if __name__ == "__main__":
    sys.exit(main())
