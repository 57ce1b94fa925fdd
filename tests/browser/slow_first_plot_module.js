// A page as slow as a loaded machine's: the first load of a module of over 1 MB handed over as a blob URL
// (plotly's widget code, 5 MB, as anywidget loads it) takes 2.5 s, past anywidget's 2 s for a model to load.
// Used by tests/browser/test_lab_widgets.py and benchmarks/lab_scope.py (Playwright's add_init_script).
(() => {
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = function (blob) {
        if (blob && blob.size > 1e6 && !window.__wbSlowedOnce) {
            window.__wbSlowedOnce = true;
            const started = Date.now();
            while (Date.now() - started < 2500) {}
        }
        return createObjectURL.apply(this, arguments);
    };
})();
