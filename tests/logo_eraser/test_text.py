"""Tests of text hiding: the brand lexicon and its matching (logo_eraser.brand_names), the text
reader (logo_eraser.text_reading, RapidOCR with its packaged models), which words are hidden
(logo_eraser.text_hiding) in photos (logo_eraser.photos), on the command line (--text, --keep,
--brands-file, --json) and in video key frames (logo_eraser.videos.detect_upright).

The photos are made here: words printed in DejaVu Sans Bold (matplotlib's font) on white
plates over the brick background photo of the synthetic generator, hidden with the solid style
(every pixel of a hidden word changes). The Mask R-CNN model is a stand-in that detects nothing
(FakeModel), so every pixel that changes is text hiding.
"""

import json
import os

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from logo_eraser import brand_names, cli, photos, text_hiding, text_reading, tracking, videos
from logo_eraser.paths import PACKAGE_DIR
from mrcnn.image_io import read_image, write_image_atomic

BACKGROUND = os.path.join(PACKAGE_DIR, "synth", "data", "backgrounds", "brick.jpg")
# Two plates: (x1, y1, x2, y2) px of a 640 x 480 photo; the word is printed inside.
BRAND_PLATE = (40, 60, 330, 150)
WORD_PLATE = (300, 280, 620, 370)


def font_path():
    import matplotlib

    return os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf",
                        "DejaVuSans-Bold.ttf")


def make_photo(words):
    """[480, 640, 3] uint8 RGB: brick, with each (word, plate) printed black on white."""
    image = Image.open(BACKGROUND).convert("RGB").resize((640, 480))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(font_path(), 52)
    for word, (x1, y1, x2, y2) in words:
        draw.rectangle([x1, y1, x2, y2], fill=(250, 250, 250))
        draw.text((x1 + 16, y1 + 14), word, font=font, fill=(20, 30, 120))
    return np.asarray(image).copy()


def changed_in(before, after, plate):
    """Share of the plate's ink (the printed letters' pixels) that changed: about 1 for a word
    hidden with the solid style, 0 for a word left alone."""
    x1, y1, x2, y2 = plate
    ink = before[y1:y2, x1:x2].min(axis=2) < 200
    changed = np.any(before[y1:y2, x1:x2] != after[y1:y2, x1:x2], axis=2)
    return float(changed[ink].mean())


@pytest.fixture(scope="module")
def reader():
    return text_reading.TextReader()


@pytest.fixture(scope="module")
def pepsi_oxford():
    """PEPSI (a brand) and Oxford (a city, with "ford" inside) on one photo."""
    return make_photo([("PEPSI", BRAND_PLATE), ("Oxford", WORD_PLATE)])


@pytest.fixture
def no_detections(fake_model_class, fake_result):
    def make(image):
        return fake_model_class(fake_result(image, [], []), ("BG", "logo"))
    return make


def erase(model, image, tmp_path, finder):
    path = tmp_path / "in.png"
    write_image_atomic(str(path), image)
    record = photos.erase_photo(model, str(path), str(tmp_path / "out.png"), image=image,
                                style="solid", text_finder=finder)
    return read_image(str(tmp_path / "out.png")), record


# --- the lexicon and its matching -------------------------------------------------------------

@pytest.fixture(scope="module")
def lexicon():
    return brand_names.default_lexicon()


def found(lexicon, text):
    return [(m.text, m.name, m.edits) for m in lexicon.find(text)]


def test_the_lexicon_holds_every_simple_icons_name_and_the_flickrlogos_brands(lexicon):
    with open(brand_names.SIMPLE_ICONS_NAMES, encoding="utf-8") as file:
        names = [line.strip() for line in file if line.strip() and not line.startswith("#")]
    assert len(names) > 3000          # the whole collection, not the 219 vendored marks
    assert len(lexicon) > 3000
    for name in ("Vodafone", "Deutsche Telekom", "McDonald's", "Stella Artois", "Tsingtao"):
        assert name in lexicon
    # Everyday words and lower-case two-letter names are left out; capitals stay.
    assert "Target" in names and "Target" not in lexicon
    assert "Go" in names and "Go" not in lexicon and "HP" in lexicon and "3M" in lexicon


def test_matching_ignores_case_accents_and_punctuation(lexicon):
    assert found(lexicon, "PEPSI") == [("PEPSI", "Pepsi", 0)]
    assert found(lexicon, "škoda")[0][1] == found(lexicon, "SKODA")[0][1]
    for written in ("Coca-Cola", "COCA COLA", "cocacola"):
        assert found(lexicon, f"drink {written} now") == [(written, "Coca-Cola", 0)]
    assert found(lexicon, "Stella Artois bar") == [("Stella Artois", "Stella Artois", 0)]


def test_whole_words_only(lexicon):
    assert found(lexicon, "Oxford") == []
    assert found(lexicon, "OXFORD STREET") == []
    assert found(lexicon, "Pepsico") == []
    assert found(lexicon, "Ford Focus") == [("Ford", "Ford", 0)]


def test_one_misread_letter_matches_in_longer_names_only(lexicon):
    assert found(lexicon, "Heinaken beer") == [("Heinaken", "Heineken", 1)]
    assert found(lexicon, "VODAF0NE") == [("VODAF0NE", "Vodafone", 1)]
    assert found(lexicon, "Vodafones") == [("Vodafones", "Vodafone", 1)]
    assert found(lexicon, "Foad") == []           # short names match exactly
    assert found(lexicon, "Vodaphane") == []      # two letters off


def test_user_names_and_the_brands_file(tmp_path):
    path = tmp_path / "brands.txt"
    path.write_text("# my sponsors\nOxford Bikes\n\nGarden\n", encoding="utf-8")
    names = brand_names.read_brands_file(str(path))
    assert names == ["Oxford Bikes", "Garden"]
    lexicon = brand_names.BrandLexicon().add(names, brand_names.SOURCE_USER)
    assert [m.name for m in lexicon.find("OXFORD BIKES and Garden")] == ["Oxford Bikes",
                                                                         "Garden"]
    (tmp_path / "empty.txt").write_text("# nothing\n\n")
    for bad in (tmp_path / "empty.txt", tmp_path / "missing.txt", tmp_path):
        with pytest.raises(brand_names.BrandsFileError, match="--brands-file"):
            brand_names.read_brands_file(str(bad))


# --- polygons ---------------------------------------------------------------------------------

def test_span_polygons_and_growth():
    line = text_reading.TextLine("Drink Pepsi", 0.9,
                                 np.array([[0, 0], [110, 0], [110, 10], [0, 10]], np.float32),
                                 [(0, 5, np.array([[0, 0], [50, 0], [50, 10], [0, 10]])),
                                  (6, 11, np.array([[60, 0], [110, 0], [110, 10], [60, 10]]))])
    np.testing.assert_allclose(line.span_polygon(6, 11), [[60, 0], [110, 0], [110, 10], [60, 10]])
    np.testing.assert_allclose(line.span_polygon(0, 3)[:2], [[0, 0], [30, 0]])
    grown = text_reading.grow_polygons(line.span_polygon(6, 11)[None])[0]
    np.testing.assert_allclose(grown, [[58, -2], [112, -2], [112, 12], [58, 12]])
    masks = text_reading.polygon_masks(grown[None], (20, 120))
    boxes = text_reading.polygon_boxes(grown[None], (20, 120))
    assert masks.shape == (20, 120, 1) and masks[5, 60, 0] and not masks[5, 40, 0]
    assert boxes.tolist() == [[0, 58, 13, 113]]


# --- photos -----------------------------------------------------------------------------------

def test_the_reader_reads_the_printed_words(reader, pepsi_oxford):
    lines = reader.read(pepsi_oxford)
    assert [line.text for line in lines] == ["PEPSI", "Oxford"]
    for line, plate in zip(lines, (BRAND_PLATE, WORD_PLATE)):
        x, y = line.polygon.mean(axis=0)
        assert plate[0] < x < plate[2] and plate[1] < y < plate[3]


def test_brands_hides_the_brand_and_keeps_the_word(reader, pepsi_oxford, no_detections,
                                                   tmp_path):
    finder = text_hiding.TextFinder("brands", reader=reader)
    after, record = erase(no_detections(pepsi_oxford), pepsi_oxford, tmp_path, finder)
    assert changed_in(pepsi_oxford, after, BRAND_PLATE) > 0.95
    assert changed_in(pepsi_oxford, after, WORD_PLATE) == 0
    text = record["text"]
    assert text["mode"] == "brands" and [r["text"] for r in text["read"]] == ["PEPSI", "Oxford"]
    (region,) = text["regions"]
    assert region["brand"] == "Pepsi" and region["source"] == "FlickrLogos-47"
    assert region["hidden"] and "Pepsi" in region["why"]
    y1, x1, y2, x2 = region["box"]
    assert BRAND_PLATE[1] - 20 < y1 < y2 < BRAND_PLATE[3] + 20
    assert BRAND_PLATE[0] - 20 < x1 < x2 < BRAND_PLATE[2] + 20
    # Nothing outside the region (grown by the dilation) changes.
    changed = np.any(after != pepsi_oxford, axis=2)
    dilate = record["dilate_px"]
    assert not changed[:y1 - dilate].any() and not changed[y2 + dilate:].any()


def test_all_hides_both_and_off_hides_neither(reader, pepsi_oxford, no_detections, tmp_path):
    after, record = erase(no_detections(pepsi_oxford), pepsi_oxford, tmp_path,
                          text_hiding.TextFinder("all", reader=reader))
    assert changed_in(pepsi_oxford, after, BRAND_PLATE) > 0.95
    assert changed_in(pepsi_oxford, after, WORD_PLATE) > 0.95
    assert [r["why"].split(";")[0] for r in record["text"]["regions"]] == [
        "all text (--text all)"] * 2
    after, record = erase(no_detections(pepsi_oxford), pepsi_oxford, tmp_path,
                          text_hiding.TextFinder("off"))
    assert np.array_equal(after, pepsi_oxford)
    assert record["text"] == {"mode": "off", "read": [], "regions": []}


def test_keep_leaves_the_brand_visible_in_both_modes(reader, pepsi_oxford, no_detections,
                                                     tmp_path):
    for mode in ("brands", "all"):
        finder = text_hiding.TextFinder(mode, keep_names=["pepsi"], reader=reader)
        after, record = erase(no_detections(pepsi_oxford), pepsi_oxford, tmp_path, finder)
        assert changed_in(pepsi_oxford, after, BRAND_PLATE) == 0
        assert (changed_in(pepsi_oxford, after, WORD_PLATE) > 0.95) == (mode == "all")
        kept = [r for r in record["text"]["regions"] if not r["hidden"]]
        assert [r["brand"] for r in kept] == ["Pepsi"] and "--keep" in kept[0]["why"]


def test_a_misread_letter_is_still_hidden(reader, no_detections, tmp_path):
    photo = make_photo([("Vodafane", BRAND_PLATE)])
    after, record = erase(no_detections(photo), photo, tmp_path,
                          text_hiding.TextFinder("brands", reader=reader))
    (region,) = record["text"]["regions"]
    assert region["brand"] == "Vodafone" and region["misread_letters"] == 1
    assert "one letter misread" in region["why"]
    assert changed_in(photo, after, BRAND_PLATE) > 0.95


def test_a_photo_without_text_is_unchanged(reader, no_detections, tmp_path):
    photo = make_photo([])
    for mode in ("brands", "all"):
        after, record = erase(no_detections(photo), photo, tmp_path,
                              text_hiding.TextFinder(mode, reader=reader))
        assert np.array_equal(after, photo)
        assert record["text"]["regions"] == []


# --- the command line -------------------------------------------------------------------------

@pytest.fixture
def cli_photo(tmp_path, pepsi_oxford, no_detections, monkeypatch):
    """The PEPSI / Oxford photo on disk, and the command's model replaced by one detecting
    nothing (its config: the shipped logo model's classes)."""
    path = tmp_path / "sign.png"
    write_image_atomic(str(path), pepsi_oxford)
    monkeypatch.setattr(cli, "load_model", lambda *args: no_detections(pepsi_oxford))
    return path


def run_json(argv, tmp_path):
    report = tmp_path / "report.json"
    status = cli.main([str(a) for a in argv] + ["--style", "solid", "--json", str(report)])
    assert status == 0
    return json.loads(report.read_text())


def test_command_line_text_modes_keep_and_brands_file(cli_photo, pepsi_oxford, tmp_path,
                                                      capsys):
    out = tmp_path / "out.png"
    record = run_json(["-i", cli_photo, "-o", out], tmp_path)  # --text brands by default
    assert [r["brand"] for r in record["text"]["regions"] if r["hidden"]] == ["Pepsi"]
    assert "1 text region hidden" in capsys.readouterr().out
    assert changed_in(pepsi_oxford, read_image(str(out)), WORD_PLATE) == 0
    record = run_json(["-i", cli_photo, "-o", out, "--text", "off"], tmp_path)
    assert "text" not in record and np.array_equal(read_image(str(out)), pepsi_oxford)
    record = run_json(["-i", cli_photo, "-o", out, "--keep", "PEPSI"], tmp_path)
    assert np.array_equal(read_image(str(out)), pepsi_oxford)
    brands = tmp_path / "mine.txt"
    brands.write_text("Oxford\n", encoding="utf-8")
    record = run_json(["-i", cli_photo, "-o", out, "--brands-file", brands], tmp_path)
    regions = {r["text"]: r for r in record["text"]["regions"]}
    assert regions["Oxford"]["source"] == "brands-file" and regions["Oxford"]["hidden"]
    assert changed_in(pepsi_oxford, read_image(str(out)), WORD_PLATE) > 0.95


def test_command_line_errors_are_one_line(cli_photo, tmp_path, capsys):
    out = tmp_path / "out.png"
    cases = [(["--brands-file", tmp_path / "missing.txt"], "no such file"),
             (["--brands-file", tmp_path], "is a folder"),
             (["--text", "off", "--brands-file", cli_photo], "--text off"),
             (["--keep", "nosuchbrandanywhere"], "or a brand name")]
    for extra, fragment in cases:
        status = cli.main([str(a) for a in ["-i", cli_photo, "-o", out, *extra]])
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert status == 2 and len(lines) == 1 and fragment in lines[0], lines
        assert not out.exists()


def test_without_the_reader_package_the_default_warns_and_text_fails(cli_photo, tmp_path,
                                                                     capsys, monkeypatch):
    def missing():
        raise text_reading.TextReaderMissing("reading text needs the rapidocr package "
                                             f"({text_reading.INSTALL_HINT})")
    monkeypatch.setattr(text_reading, "check_available", missing)
    out = tmp_path / "out.png"
    assert cli.main(["-i", str(cli_photo), "-o", str(out)]) == 0
    warning = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(warning) == 1 and "rapidocr" in warning[0] and "--text off" in warning[0]
    assert cli.main(["-i", str(cli_photo), "-o", str(out), "--text", "all"]) == 2
    assert "pip install rapidocr" in capsys.readouterr().err


# --- video key frames -------------------------------------------------------------------------

def test_video_key_frames_get_text_as_detections_of_class_text(reader, pepsi_oxford,
                                                              no_detections):
    model = no_detections(pepsi_oxford)
    finder = text_hiding.TextFinder("brands", reader=reader)
    result = videos.detect_upright(model, pepsi_oxford, 0, None, finder)
    assert result["class_ids"].tolist() == [videos.text_class_id(model.config)] == [2]
    assert result["masks"].shape == pepsi_oxford.shape[:2] + (1,)
    y1, x1, y2, x2 = result["rois"][0]
    assert BRAND_PLATE[1] - 20 < y1 < y2 < BRAND_PLATE[3] + 20
    # Upright reading of a frame stored sideways: boxes come back in stored pixels.
    stored = np.ascontiguousarray(np.rot90(pepsi_oxford, -1))
    turned = videos.detect_upright(model, stored, 90, None, finder)
    assert turned["rois"].tolist() == videos.unrotate_boxes(result["rois"], 1,
                                                            stored.shape).tolist()
    # What was read travels with the detection into its track and the --json record.
    assert result["labels"] == [{"text": "PEPSI", "brand": "Pepsi"}]
    detections = tracking.detections_from_result(result)
    tracker = tracking.Tracker(hold=12)
    (track,) = tracker.associate(0, detections)[1]
    tracker.associate(5, tracking.detections_from_result(result))
    record = track.to_json(list(model.config.CLASS_NAMES) + ["text"])
    assert record["class_name"] == "text" and record["first_frame"] == 0
    assert record["read"] == [{"text": "PEPSI", "brand": "Pepsi"}]
    logo_only = dict(result, class_ids=np.array([1]), labels=[None])
    (logo_track,) = tracker.associate(10, tracking.detections_from_result(logo_only))[1]
    assert "read" not in logo_track.to_json(list(model.config.CLASS_NAMES))
