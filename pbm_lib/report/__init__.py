"""The report layer shared by every notebook: fonts, colours, number formats, tables, figures, footer, export."""
