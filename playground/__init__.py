"""The app (the only package that imports gradio): app_ui builds the page from one module per tab in tabs/;
lab/ holds what the tabs measure, without gradio."""
