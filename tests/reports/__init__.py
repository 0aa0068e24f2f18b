"""Tests of the HTML report and the Excel workbook."""
